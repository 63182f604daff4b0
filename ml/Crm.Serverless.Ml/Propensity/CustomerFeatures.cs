namespace Crm.Serverless.Ml.Propensity;

/// <summary>One feature: the stable name stored with a model and the wording shown to people in explanations.</summary>
public sealed record FeatureDefinition(string Name, string ReadableName);

/// <summary>
/// The feature layout shared by training and scoring. A model stores <see cref="Names"/> beside itself and refuses to
/// score when they differ, so changing this list means retraining.
/// </summary>
public static class CustomerFeatures
{
    public const int Count = 20;

    internal const int RecencyDays = 0;
    internal const int PurchaseDays = 1;
    internal const int TenureDays = 2;
    internal const int TotalSpend = 3;
    internal const int MeanSpend = 4;
    internal const int LastSpend = 5;
    internal const int MeanGapDays = 6;
    internal const int GapStdDays = 7;
    internal const int LastGapDays = 8;
    internal const int RecencyOverMeanGap = 9;
    internal const int RecencyOverMaxGap = 10;
    internal const int PurchasesLast30Days = 11;
    internal const int PurchasesLast90Days = 12;
    internal const int PurchasesPrior90Days = 13;
    internal const int ActivityTrend = 14;
    internal const int SpendLast90Days = 15;
    internal const int PurchaseDaysPer30Days = 16;
    internal const int BetaGeoProbabilityAlive = 17;
    internal const int BetaGeoExpectedPurchases = 18;
    internal const int BetaGeoNoPurchaseProbability = 19;

    public static IReadOnlyList<FeatureDefinition> Definitions { get; } =
    [
        new("RecencyDays", "Days since last purchase"),
        new("PurchaseDays", "Number of days with a purchase"),
        new("TenureDays", "Days since first purchase"),
        new("TotalSpend", "Total spend"),
        new("MeanSpend", "Average purchase amount"),
        new("LastSpend", "Last purchase amount"),
        new("MeanGapDays", "Usual days between purchases"),
        new("GapStdDays", "Irregularity of days between purchases"),
        new("LastGapDays", "Days between the last two purchases"),
        new("RecencyOverMeanGap", "Days since last purchase compared with the usual gap"),
        new("RecencyOverMaxGap", "Days since last purchase compared with the longest gap"),
        new("PurchasesLast30Days", "Purchases in the last 30 days"),
        new("PurchasesLast90Days", "Purchases in the last 90 days"),
        new("PurchasesPrior90Days", "Purchases 91 to 180 days ago"),
        new("ActivityTrend", "Last 90 days' purchases compared with the 90 days before"),
        new("SpendLast90Days", "Spend in the last 90 days"),
        new("PurchaseDaysPer30Days", "Purchase days per 30 days as a customer"),

        // From the BG/NBD model fitted on everyone's purchases up to the row's date (CutoffBetaGeo), for the model's label window.
        new("BetaGeoProbabilityAlive", "Chance the customer is still active (BG/NBD)"),
        new("BetaGeoExpectedPurchases", "Purchases the BG/NBD model expects in the window"),
        new("BetaGeoNoPurchaseProbability", "BG/NBD chance of no purchase in the window"),
    ];

    public static IReadOnlyList<string> Names { get; } = [.. Definitions.Select(d => d.Name)];
}
