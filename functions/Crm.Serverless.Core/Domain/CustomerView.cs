namespace Crm.Serverless.Core.Domain;

/// <summary>The 360-degree view of one customer: who they are, what they bought, how they score, and what to offer next.</summary>
/// <param name="Recommendations">The top 5 next best products of the latest run (null before any run with line items).</param>
public sealed record CustomerView(
    string CustomerId,
    ContactView? Contact,
    PurchaseSummary Purchases,
    CustomerScore? Scores,
    Ml.Discounts.DiscountProfile? Discounts = null,
    IReadOnlyList<Recommendations.RecommendedSku>? Recommendations = null);

public sealed record ContactView(
    string? Email,
    string? FirstName,
    string? LastName,
    string? Country,
    DateTimeOffset? CreatedAt,
    bool? MarketingConsent,
    IReadOnlyDictionary<string, string> Attributes,
    DateTimeOffset? UpdatedAt = null);

/// <param name="Count">Purchases that stand: not cancelled and not wholly refunded.</param>
/// <param name="TotalSpend">Net: <paramref name="GrossSpend"/> less <paramref name="Refunds"/>.</param>
/// <param name="LastPurchase">The latest purchase that still stands.</param>
public sealed record PurchaseSummary(
    int Count,
    decimal TotalSpend,
    decimal? AverageSpend,
    string Currency,
    DateTimeOffset? FirstPurchaseAt,
    LastPurchase? LastPurchase,
    decimal GrossSpend = 0,
    decimal Refunds = 0);

/// <param name="DiscountAmount">The order's discount in the currency it was sent in (null when none).</param>
public sealed record LastPurchase(
    string TransactionId,
    DateTimeOffset At,
    decimal Amount,
    int? Quantity,
    IReadOnlyList<LineItem> Items,
    decimal? DiscountAmount = null,
    string? CouponCode = null,
    string? CampaignId = null);
