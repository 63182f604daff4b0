using System.Globalization;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Validation;

namespace Crm.Serverless.Core.Import;

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

        var channel = Name<Ml.Data.InteractionChannel>(row, 3, "channel", errors, InteractionNames.TryParseChannel, InteractionNames.ChannelExpected);
        var inbound = Name<bool>(row, 4, "direction", errors, InteractionNames.TryParseDirection, InteractionNames.DirectionExpected);
        var type = Name<Ml.Data.InteractionType>(row, 5, "type", errors, InteractionNames.TryParseType, InteractionNames.TypeExpected);
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
