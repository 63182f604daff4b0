using Azure;
using Azure.Data.Tables;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// The customer row: the contact (when the shop has sent one) and purchase aggregates that are changed only in
/// the same entity-group transaction as the purchases they count, so they always equal a recount.
/// </summary>
public sealed class CustomerEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string CustomerId { get; set; } = "";

    public bool HasContact { get; set; }
    public string? Email { get; set; }
    public string? FirstName { get; set; }
    public string? LastName { get; set; }
    public string? Country { get; set; }
    public DateTimeOffset? ContactCreatedAt { get; set; }
    public bool? MarketingConsent { get; set; }
    public string? AttributesJson { get; set; }
    public string? ContactHash { get; set; }

    /// <summary>
    /// When each contact field was last set (JSON: field name to UTC ticks of the update's updatedAt), so updates
    /// arriving out of order end in the same record whatever the order: a field keeps the newest value.
    /// </summary>
    public string? ContactStampsJson { get; set; }

    /// <summary>Purchases that stand: not cancelled, not wholly refunded.</summary>
    public int PurchaseCount { get; set; }

    /// <summary>Net spend: <see cref="GrossAmountScaled"/> less <see cref="RefundedAmountScaled"/>.</summary>
    public long TotalAmountScaled { get; set; }

    /// <summary>Sum of the purchases not cancelled.</summary>
    public long GrossAmountScaled { get; set; }

    /// <summary>Sum of the refunds of the purchases not cancelled.</summary>
    public long RefundedAmountScaled { get; set; }

    public DateTimeOffset? FirstPurchaseAt { get; set; }
    public DateTimeOffset? LastPurchaseAt { get; set; }
    public string? LastTransactionId { get; set; }
    public long LastAmountScaled { get; set; }
    public int? LastQuantity { get; set; }
    public string? LastItemsJson { get; set; }
    public long? LastDiscountScaled { get; set; }
    public string? LastCouponCode { get; set; }
    public string? LastCampaignId { get; set; }

    /// <summary>A copy to change without touching the row as read (a failed batch must leave it as it was).</summary>
    public CustomerEntity Copy() => (CustomerEntity)MemberwiseClone();
}
