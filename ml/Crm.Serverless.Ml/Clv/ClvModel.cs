namespace Crm.Serverless.Ml.Clv;

/// <summary>
/// A fitted CLV model: BG/NBD for how many purchases, Gamma-Gamma for how much each. Holds what a model artefact
/// records (parameters, log-likelihoods, population sizes) and scores any customer base summarised in the same
/// time unit.
/// </summary>
public sealed class ClvModel
{
    /// <summary>How far ahead a next-purchase date is still worth stating.</summary>
    public const double MaxNextPurchaseDays = 730;

    public ClvModel(BetaGeoFit purchases, GammaGammaFit spend, ClvTimeUnit timeUnit, DateTime calibrationEndUtc)
    {
        ArgumentNullException.ThrowIfNull(purchases);
        ArgumentNullException.ThrowIfNull(spend);
        Purchases = purchases;
        Spend = spend;
        TimeUnit = timeUnit;
        CalibrationEndUtc = calibrationEndUtc;
    }

    public BetaGeoFit Purchases { get; }

    public GammaGammaFit Spend { get; }

    public ClvTimeUnit TimeUnit { get; }

    public DateTime CalibrationEndUtc { get; }

    /// <summary>Customers the BG/NBD fit saw.</summary>
    public int Customers => Purchases.Customers;

    /// <summary>Customers with a repeat purchase that the Gamma-Gamma fit saw.</summary>
    public int RepeatCustomers => Spend.Customers;

    public static ClvModel Fit(CustomerSummaries summaries)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        return new ClvModel(
            BetaGeoFitter.Fit(summaries),
            GammaGammaFitter.Fit(summaries),
            summaries.TimeUnit,
            summaries.CalibrationEndUtc);
    }

    /// <summary>E[purchases in the next <paramref name="t"/> time units] per customer, in summary order.</summary>
    public double[] ExpectedPurchases(CustomerSummaries summaries, double t)
    {
        RequireSameUnit(summaries);
        var model = Purchases.Model;
        var result = new double[summaries.Count];
        var x = summaries.Frequency;
        var recency = summaries.Recency;
        var age = summaries.Age;
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = model.ConditionalExpectedPurchases(t, x[i], recency[i], age[i]);
        }

        return result;
    }

    /// <summary>P(no purchase in the next <paramref name="t"/> time units) per customer, in summary order.</summary>
    public double[] ProbabilityNoPurchase(CustomerSummaries summaries, double t)
    {
        RequireSameUnit(summaries);
        var model = Purchases.Model;
        var result = new double[summaries.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = model.ProbabilityNoPurchase(t, summaries.Frequency[i], summaries.Recency[i], summaries.Age[i]);
        }

        return result;
    }

    /// <summary>Scores every customer as of the summaries' calibration end.</summary>
    public ClvScores Score(
        CustomerSummaries summaries,
        int horizonMonths = ClvOptions.DefaultHorizonMonths,
        double monthlyDiscountRate = ClvOptions.DefaultMonthlyDiscountRate)
    {
        RequireSameUnit(summaries);
        ArgumentOutOfRangeException.ThrowIfLessThan(horizonMonths, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(monthlyDiscountRate);

        // Purchase predictions depend on (x, t_x, T) only, and customers share those patterns heavily.
        var patterns = PurchasePatterns.Group(summaries);
        var perPattern = new PatternPrediction[patterns.Count];
        var unitsPerMonth = TimeUnit.PerMonth();
        Parallel.For(0, patterns.Count, p =>
            perPattern[p] = Predict(patterns.Keys[p], horizonMonths, unitsPerMonth, monthlyDiscountRate));

        var count = summaries.Count;
        var alive = new double[count];
        var purchases = new double[count];
        var spend = new double[count];
        var clv = new double[count];
        var next = new DateTime?[count];
        var x = summaries.Frequency;
        var monetary = summaries.MonetaryValue;
        var daysPerUnit = TimeUnit.Days();
        for (var i = 0; i < count; i++)
        {
            var prediction = perPattern[patterns.PatternOf[i]];
            alive[i] = prediction.ProbabilityAlive;
            purchases[i] = prediction.HorizonPurchases;
            spend[i] = Spend.ExpectedAverageSpend(x[i], monetary[i]);
            clv[i] = prediction.DiscountedPurchases * spend[i];
            next[i] = prediction.TimeToNextPurchase is { } w && w * daysPerUnit <= MaxNextPurchaseDays
                ? summaries.CalibrationEndUtc.AddDays(Math.Max(1, Math.Ceiling(w * daysPerUnit)))
                : null;
        }

        return new ClvScores(
            summaries.CalibrationEndUtc,
            horizonMonths,
            summaries.CustomerIds.ToArray(),
            alive,
            purchases,
            spend,
            clv,
            next);
    }

    private PatternPrediction Predict(
        (int X, double Recency, double Age) pattern,
        int horizonMonths,
        double unitsPerMonth,
        double monthlyDiscountRate)
    {
        var model = Purchases.Model;
        var (x, recency, age) = pattern;
        var alive = model.ProbabilityAlive(x, recency, age);
        double previous = 0, discounted = 0, discount = 1;
        for (var month = 1; month <= horizonMonths; month++)
        {
            var cumulative = model.ExpectedPurchasesIfAlive(month * unitsPerMonth, x, recency, age);
            discount /= 1 + monthlyDiscountRate;
            discounted += (cumulative - previous) * discount;
            previous = cumulative;
        }

        return new PatternPrediction(
            alive,
            alive * previous,
            alive * discounted,
            model.TimeToNextPurchase(x, recency, age));
    }

    private void RequireSameUnit(CustomerSummaries summaries)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        if (summaries.TimeUnit != TimeUnit)
        {
            throw new ArgumentException(
                $"The model was fitted in {TimeUnit} but the summaries are in {summaries.TimeUnit}.",
                nameof(summaries));
        }
    }

    private readonly record struct PatternPrediction(
        double ProbabilityAlive,
        double HorizonPurchases,
        double DiscountedPurchases,
        double? TimeToNextPurchase);
}
