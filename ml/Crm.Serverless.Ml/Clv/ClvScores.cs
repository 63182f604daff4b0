namespace Crm.Serverless.Ml.Clv;

/// <summary>One customer's CLV predictions; see <see cref="ClvScores"/> for the definitions.</summary>
public readonly record struct CustomerClvScore(
    string CustomerId,
    double ProbabilityAlive,
    double ExpectedPurchases,
    double ExpectedAverageSpend,
    double Clv,
    DateTime? NextPurchaseUtc);

/// <summary>
/// Predictions for a customer base as columns, in the order of the <see cref="CustomerSummaries"/> scored.
/// </summary>
public sealed class ClvScores
{
    private readonly string[] _customerIds;
    private readonly double[] _probabilityAlive;
    private readonly double[] _expectedPurchases;
    private readonly double[] _expectedAverageSpend;
    private readonly double[] _clv;
    private readonly DateTime?[] _nextPurchaseUtc;

    internal ClvScores(
        DateTime asOfUtc,
        int horizonMonths,
        string[] customerIds,
        double[] probabilityAlive,
        double[] expectedPurchases,
        double[] expectedAverageSpend,
        double[] clv,
        DateTime?[] nextPurchaseUtc)
    {
        AsOfUtc = asOfUtc;
        HorizonMonths = horizonMonths;
        _customerIds = customerIds;
        _probabilityAlive = probabilityAlive;
        _expectedPurchases = expectedPurchases;
        _expectedAverageSpend = expectedAverageSpend;
        _clv = clv;
        _nextPurchaseUtc = nextPurchaseUtc;
    }

    /// <summary>The calibration end of the summaries scored: "now" for every prediction.</summary>
    public DateTime AsOfUtc { get; }

    public int HorizonMonths { get; }

    public int Count => _customerIds.Length;

    public ReadOnlySpan<string> CustomerIds => _customerIds;

    /// <summary>P(the customer has not dropped out).</summary>
    public ReadOnlySpan<double> ProbabilityAlive => _probabilityAlive;

    /// <summary>Expected purchase days within the horizon (BG/NBD conditional expectation).</summary>
    public ReadOnlySpan<double> ExpectedPurchases => _expectedPurchases;

    /// <summary>Expected spend per purchase day (Gamma-Gamma conditional expectation).</summary>
    public ReadOnlySpan<double> ExpectedAverageSpend => _expectedAverageSpend;

    /// <summary>
    /// Sum over months i = 1..horizon of expected purchases in month i times expected spend, discounted by
    /// (1 + monthly rate)^i.
    /// </summary>
    public ReadOnlySpan<double> Clv => _clv;

    /// <summary>
    /// The first date by which the customer has more likely than not bought again (see
    /// <see cref="BetaGeoModel.TimeToNextPurchase"/>); null when P(alive) &lt;= 0.5 or the date is over two years away.
    /// </summary>
    public ReadOnlySpan<DateTime?> NextPurchaseUtc => _nextPurchaseUtc;

    public CustomerClvScore this[int index] => new(
        _customerIds[index],
        _probabilityAlive[index],
        _expectedPurchases[index],
        _expectedAverageSpend[index],
        _clv[index],
        _nextPurchaseUtc[index]);
}
