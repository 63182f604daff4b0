namespace Crm.Serverless.Core.Domain;

/// <summary>
/// Everything the app holds about one customer (GDPR Art. 15 access request): the contact and aggregates, every
/// purchase, every rejected record naming them, and the rows of any other customer-keyed table as stored.
/// </summary>
public sealed record CustomerDataExport(
    string CustomerId,
    DateTimeOffset ExportedAt,
    ContactView? Contact,
    PurchaseSummary? Summary,
    IReadOnlyList<PurchaseRecord> Purchases,
    IReadOnlyList<RejectedRecord> RejectedItems,
    IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyDictionary<string, object?>>> OtherRecords,
    IReadOnlyList<ConsentRecord>? ConsentHistory = null);

public sealed record PurchaseRecord(
    string TransactionId,
    DateTimeOffset Timestamp,
    decimal Amount,
    string Currency,
    int? Quantity,
    IReadOnlyList<LineItem> Items,
    string? Source,
    DateTimeOffset? ReceivedAt,
    string Kind = "purchase",
    string? RefersTo = null,
    decimal Refunded = 0,
    bool Cancelled = false,
    decimal? DiscountAmount = null,
    string? CouponCode = null,
    string? CampaignId = null,
    IReadOnlyDictionary<string, int>? RefundedItems = null);

/// <summary>One change of marketing consent: when it changed (the update's time), from what to what, and by which door.</summary>
public sealed record ConsentRecord(DateTimeOffset ChangedAt, bool? MarketingConsent, bool? Previous, string Source, DateTimeOffset ReceivedAt);

public sealed record RejectedRecord(
    string? Source,
    string? Kind,
    string? Reference,
    string? Status,
    string? Reason,
    string? Payload,
    DateTimeOffset? RejectedAt);

/// <summary>What an erasure removed, by table; <see cref="Total"/> is 0 when nothing was held (erasing twice is safe).</summary>
public sealed record ErasureReport(string CustomerId, IReadOnlyDictionary<string, int> DeletedRows)
{
    public int Total => DeletedRows.Values.Sum();
}
