using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// One change of a customer's marketing consent, in the ConsentHistory table (keys as in <see cref="CrmKeys"/>:
/// the customer's shard, row key <c>{customerId}|{updatedAt ticks}|{value}</c>). The key is derived from the
/// change itself, so writing it again (a re-plan, a redelivery) rewrites the same row.
/// </summary>
public sealed class ConsentEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string CustomerId { get; set; } = "";

    /// <summary>The new value; null when the shop cleared it (unknown again).</summary>
    public bool? MarketingConsent { get; set; }

    public bool? Previous { get; set; }

    /// <summary>The update's own time (its updatedAt, else when it was received).</summary>
    public DateTimeOffset ChangedAt { get; set; }

    /// <summary>http, queue or import.</summary>
    public string Source { get; set; } = "";

    public DateTimeOffset ReceivedAt { get; set; }

    public static ConsentEntity Of(string customerId, bool? value, bool? previous, DateTimeOffset changedAt, string source, DateTimeOffset receivedAt) => new()
    {
        PartitionKey = CrmKeys.PartitionOf(customerId),
        RowKey = string.Create(CultureInfo.InvariantCulture, $"{customerId}{CrmKeys.Separator}{changedAt.UtcTicks:D19}{CrmKeys.Separator}{value switch { true => "1", false => "0", null => "-" }}"),
        CustomerId = customerId,
        MarketingConsent = value,
        Previous = previous,
        ChangedAt = changedAt.ToUniversalTime(),
        Source = source,
        ReceivedAt = receivedAt,
    };
}
