using Azure;
using Azure.Data.Tables;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// One stored purchase. <see cref="PayloadHash"/> tells a retried send (same hash) from a conflicting one.
/// <see cref="AmountScaled"/> and <see cref="Currency"/> are always in the store's reporting currency; a purchase
/// sent in another currency keeps what was sent in <see cref="OriginalAmountScaled"/> and <see cref="OriginalCurrency"/>.
/// </summary>
public sealed class TransactionEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string CustomerId { get; set; } = "";
    public string TransactionId { get; set; } = "";
    public DateTimeOffset PurchasedAt { get; set; }
    public long AmountScaled { get; set; }
    public string Currency { get; set; } = "";
    public int? Quantity { get; set; }
    public string? ItemsJson { get; set; }
    public string PayloadHash { get; set; } = "";
    public string Source { get; set; } = "";
    public DateTimeOffset ReceivedAt { get; set; }
    public long? OriginalAmountScaled { get; set; }
    public string? OriginalCurrency { get; set; }
}
