namespace Crm.Serverless.Ml.Products;

/// <summary>
/// What "top", "flop" and "trend" mean. Tops: the <see cref="Listed"/> skus with the most revenue among those with
/// at least <see cref="MinimumBuyers"/> buyers. Flops: among the other skus with that many buyers, those with a refund
/// rate of at least <see cref="FlopRefundRate"/> or a trend of <see cref="FlopTrend"/> or worse, worst refund rate
/// first, then worst trend. Trend: revenue in the last <see cref="TrendDays"/> days up to the as-of date against the
/// <see cref="TrendDays"/> days before, as a relative change (-0.25 = a quarter less); none when the earlier window
/// had no revenue (a new product has no trend yet).
/// </summary>
public sealed record ProductFactsOptions(
    int Listed = 10,
    int MinimumBuyers = 3,
    double FlopRefundRate = 0.10,
    double FlopTrend = -0.25,
    int TrendDays = 90)
{
    public static readonly ProductFactsOptions Default = new();
}
