using System.Runtime.Serialization;
using Azure;
using Azure.Data.Tables;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// One stored purchase, refund or cancel. <see cref="PayloadHash"/> tells a retried send (same hash) from a
/// conflicting one. A purchase row carries what was refunded of it and whether it was cancelled, changed in the
/// same entity-group transaction as the refund or cancel row and the customer row, so readers that need net
/// values read purchase rows only. <see cref="AmountScaled"/> and <see cref="Currency"/> are always in the store's
/// reporting currency; an item sent in another currency keeps what was sent in <see cref="OriginalAmountScaled"/>
/// and <see cref="OriginalCurrency"/>.
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

    /// <summary>"refund" or "cancel"; null on a purchase (rows written before refunds existed have none).</summary>
    public string? Kind { get; set; }

    /// <summary>On a refund or cancel: the transaction id of the purchase it applies to.</summary>
    public string? RefersTo { get; set; }

    /// <summary>On a purchase: the sum of its refunds.</summary>
    public long RefundedScaled { get; set; }

    /// <summary>On a purchase: a cancel applies to it; it counts for nothing.</summary>
    public bool Cancelled { get; set; }

    /// <summary>On a purchase: the order's discount as sent, in the currency it was sent in (null when none).</summary>
    public long? DiscountScaled { get; set; }

    public string? CouponCode { get; set; }

    public string? CampaignId { get; set; }

    /// <summary>On a purchase: units refunded per sku (JSON object), by refunds that named lines.</summary>
    public string? RefundedItemsJson { get; set; }

    /// <summary>On a purchase: its lines came from a lines file after it was stored (its payload hash is of the purchase without them).</summary>
    public bool LinesAttached { get; set; }

    [IgnoreDataMember]
    public bool IsPurchase => Kind is null or "purchase";

    /// <summary>A purchase that still stands: not cancelled and not wholly refunded.</summary>
    [IgnoreDataMember]
    public bool Stands => IsPurchase && !Cancelled && (RefundedScaled == 0 || RefundedScaled < AmountScaled);

    /// <summary>What the purchase is worth after its refunds (0 when it does not stand).</summary>
    [IgnoreDataMember]
    public long NetScaled => Stands ? AmountScaled - RefundedScaled : 0;
}
