using System.Globalization;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Cli.Commands;

/// <summary>
/// The interactions CSV as the models see it (<see cref="GenerateCommand.InteractionColumns"/>, found by header name),
/// for <c>crm evaluate --interactions</c>: per customer, the fields the features use. The subject column, if any, is
/// never read. Rows that do not parse are counted and skipped, as the transactions file's are.
/// </summary>
internal static class InteractionCsv
{
    private static readonly string[] Required = ["customerId", "timestamp", "channel", "direction", "type"];

    public sealed record File(IReadOnlyDictionary<string, IReadOnlyList<InteractionEvent>> ByCustomer, int Rows, int Rejected);

    public static string ChannelName(InteractionChannel channel) => channel.ToString().ToLowerInvariant();

    public static string TypeName(InteractionType type) => type == InteractionType.OrderRelated ? "order-related" : type.ToString().ToLowerInvariant();

    public static File Read(FileInfo file)
    {
        ArgumentNullException.ThrowIfNull(file);
        using var text = CsvItemReader.OpenFile(file.FullName);
        var header = (text.ReadLine() ?? "").Split(',');
        int Column(string name) => Array.FindIndex(header, h => string.Equals(h.Trim(), name, StringComparison.OrdinalIgnoreCase));
        var missing = Required.Where(c => Column(c) < 0).ToList();
        if (missing.Count > 0)
        {
            throw new CsvFormatException($"{file.Name} has no {string.Join(", ", missing)} column; the interactions file needs {GenerateCommand.InteractionColumns}.");
        }

        var (customer, timestamp, channel, direction, type) = (Column("customerId"), Column("timestamp"), Column("channel"), Column("direction"), Column("type"));
        var (rating, resolved, campaign) = (Column("rating"), Column("resolvedAt"), Column("campaignId"));
        var byCustomer = new Dictionary<string, List<InteractionEvent>>(StringComparer.Ordinal);
        int rows = 0, rejected = 0;
        while (text.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            rows++;
            var fields = line.Split(',');
            string Field(int index) => index >= 0 && index < fields.Length ? fields[index].Trim() : "";
            if (Field(customer) is not { Length: > 0 } id
                || !TryTime(Field(timestamp), out var at)
                || !TryChannel(Field(channel), out var via)
                || Field(direction) is not ("inbound" or "outbound")
                || !TryType(Field(type), out var kind)
                || !TryRating(Field(rating), out var stars)
                || !TryOptionalTime(Field(resolved), out var resolvedAt))
            {
                rejected++;
                continue;
            }

            if (!byCustomer.TryGetValue(id, out var events))
            {
                byCustomer[id] = events = [];
            }

            events.Add(new InteractionEvent(at, via, Field(direction) == "inbound", kind, stars, resolvedAt, Field(campaign) is { Length: > 0 } c ? c : null));
        }

        return new File(byCustomer.ToDictionary(p => p.Key, p => (IReadOnlyList<InteractionEvent>)p.Value, StringComparer.Ordinal), rows, rejected);
    }

    private static bool TryTime(string value, out DateTime at)
        => DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out at);

    private static bool TryOptionalTime(string value, out DateTime? at)
    {
        at = null;
        if (value.Length == 0)
        {
            return true;
        }

        if (!TryTime(value, out var parsed))
        {
            return false;
        }

        at = parsed;
        return true;
    }

    private static bool TryRating(string value, out int? rating)
    {
        rating = null;
        if (value.Length == 0)
        {
            return true;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var stars) || stars is < 1 or > 5)
        {
            return false;
        }

        rating = stars;
        return true;
    }

    private static bool TryChannel(string value, out InteractionChannel channel)
    {
        foreach (var candidate in Enum.GetValues<InteractionChannel>())
        {
            if (ChannelName(candidate) == value)
            {
                channel = candidate;
                return true;
            }
        }

        channel = default;
        return false;
    }

    private static bool TryType(string value, out InteractionType type)
    {
        foreach (var candidate in Enum.GetValues<InteractionType>())
        {
            if (TypeName(candidate) == value)
            {
                type = candidate;
                return true;
            }
        }

        type = default;
        return false;
    }
}
