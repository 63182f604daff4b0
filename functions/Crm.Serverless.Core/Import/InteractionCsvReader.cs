using System.Globalization;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Validation;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Core.Import;

/// <summary>An interactions file read for the models: the events per customer, the rows read and those skipped as invalid.</summary>
public sealed record InteractionEvents(IReadOnlyDictionary<string, IReadOnlyList<InteractionEvent>> ByCustomer, int Rows, int Rejected);

/// <summary>
/// Reads an interactions export line by line into the parsed items the HTTP and queue doors produce, with the
/// header, delimiter and line numbering of <see cref="CsvItemReader"/>:
/// <c>interactionId,customerId,timestamp,channel,direction,type[,rating,resolvedAt,campaignId,subject]</c>;
/// timestamps may be bare dates. The subject is personal data: no error message quotes it.
/// </summary>
public sealed class InteractionCsvReader(InteractionRules rules)
{
    public static readonly string[] Columns = ["interactionId", "customerId", "timestamp", "channel", "direction", "type"];

    private static readonly string[] Fields = [.. Columns, "rating", "resolvedAt", "campaignId", "subject"];

    private const string DateExpected = "must be a date (YYYY-MM-DD) or " + TimestampFormat.Expected;

    public IEnumerable<ParsedItem<Interaction>> Read(TextReader reader, CsvReadOptions? options = null)
        => CsvItemReader.Read(reader, Columns, Fields, options ?? CsvReadOptions.Default, ReadInteraction);

    /// <summary>
    /// A whole file as the models see it, for <c>crm evaluate --interactions</c>: per customer, the events of the
    /// rows that read and validate as an import's would; the others are counted and skipped (the subject is read
    /// only to be checked, never kept).
    /// </summary>
    public InteractionEvents ReadEvents(string path, CsvReadOptions? options = null)
    {
        using var file = CsvItemReader.OpenFile(path);
        var byCustomer = new Dictionary<string, List<InteractionEvent>>(StringComparer.Ordinal);
        int rows = 0, rejected = 0;
        foreach (var item in Read(file, options))
        {
            rows++;
            if (item.Value is not { } interaction)
            {
                rejected++;
                continue;
            }

            if (!byCustomer.TryGetValue(interaction.CustomerId, out var events))
            {
                byCustomer[interaction.CustomerId] = events = [];
            }

            events.Add(interaction.ToEvent());
        }

        return new InteractionEvents(byCustomer.ToDictionary(p => p.Key, p => (IReadOnlyList<InteractionEvent>)p.Value, StringComparer.Ordinal), rows, rejected);
    }

    private ParsedItem<Interaction> ReadInteraction(CsvItemReader.RowContext row, int line)
    {
        var errors = new List<FieldError>();
        var interactionId = row.String(0) ?? Missing("interactionId", errors);
        var customerId = row.String(1) ?? Missing("customerId", errors);
        DateTimeOffset timestamp = default;
        if (row[2].IsEmpty)
        {
            Missing("timestamp", errors);
        }
        else if (!TimestampFormat.TryParseDateOrTimestamp(row[2], out timestamp))
        {
            errors.Add(new FieldError("timestamp", DateExpected));
        }

        var channel = Name<InteractionChannel>(row, 3, "channel", errors, InteractionNames.TryParseChannel, InteractionNames.ChannelExpected);
        var inbound = Name<bool>(row, 4, "direction", errors, InteractionNames.TryParseDirection, InteractionNames.DirectionExpected);
        var type = Name<InteractionType>(row, 5, "type", errors, InteractionNames.TryParseType, InteractionNames.TypeExpected);
        int? rating = null;
        if (!row[6].IsEmpty)
        {
            if (int.TryParse(row[6], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                rating = parsed;
            }
            else
            {
                errors.Add(new FieldError("rating", $"must be a whole number from {InteractionRules.MinRating} to {InteractionRules.MaxRating}"));
            }
        }

        DateTimeOffset? resolvedAt = null;
        if (!row[7].IsEmpty)
        {
            if (TimestampFormat.TryParseDateOrTimestamp(row[7], out var parsed))
            {
                resolvedAt = parsed;
            }
            else
            {
                errors.Add(new FieldError("resolvedAt", DateExpected));
            }
        }

        if (errors.Count > 0)
        {
            return new ParsedItem<Interaction>(line, null, customerId, interactionId, errors);
        }

        var interaction = new Interaction(interactionId!, customerId!, timestamp, channel, inbound, type, rating, resolvedAt, row.String(8), row.String(9));
        rules.Validate(interaction, "", errors);
        return new ParsedItem<Interaction>(line, errors.Count == 0 ? interaction : null, customerId, interactionId, errors);
    }

    private delegate bool NameParser<T>(ReadOnlySpan<char> text, out T value);

    private static T Name<T>(CsvItemReader.RowContext row, int field, string name, List<FieldError> errors, NameParser<T> parse, string expected)
    {
        if (row[field].IsEmpty)
        {
            Missing(name, errors);
            return default!;
        }

        if (!parse(row[field], out var value))
        {
            errors.Add(new FieldError(name, expected));
        }

        return value;
    }

    private static string? Missing(string field, List<FieldError> errors)
    {
        errors.Add(new FieldError(field, "is required"));
        return null;
    }
}
