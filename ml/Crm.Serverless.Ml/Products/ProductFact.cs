namespace Crm.Serverless.Ml.Products;

/// <summary>
/// One sku over all purchases up to the as-of date, in the reporting currency. <see cref="Revenue"/> is net of
/// refunded lines and of the order discount (prorated over the lines). <see cref="Margin"/> is revenue less cost over
/// the lines whose unit cost is known; <see cref="CostCoverage"/> says what share of revenue that is (1 = all).
/// <see cref="Buyers"/>: customers who kept at least one unit; <see cref="RepeatBuyerRate"/>: the share of them who
/// bought it in two or more orders. <see cref="RefundRate"/>: units refunded over units bought.
/// </summary>
public sealed record ProductFact(
    string Sku,
    string? Category,
    double Revenue,
    double Units,
    int Orders,
    int Buyers,
    double RepeatBuyerRate,
    double RefundRate,
    double? Margin,
    double CostCoverage,
    double RevenueLastWindow,
    double RevenuePreviousWindow,
    double? Trend);

/// <summary>A run's product facts: every sku by revenue (highest first), and the tops and flops as defined by <see cref="Options"/>.</summary>
public sealed record ProductFacts(
    DateOnly AsOf,
    IReadOnlyList<ProductFact> Products,
    IReadOnlyList<string> Tops,
    IReadOnlyList<string> Flops,
    ProductFactsOptions Options);
