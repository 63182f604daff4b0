using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Propensity;

namespace Crm.Serverless.Reporting;

/// <summary>Everything one run report shows, computed before any HTML is written so tests can check the numbers.</summary>
public sealed record RunReport(
    RunRecord Run,
    DateTimeOffset GeneratedAt,
    TrackingSeries? Tracking,
    string? TrackingNote,
    IReadOnlyList<ModelCheck> Models,
    IReadOnlyList<string> MissingModels,
    IReadOnlyList<RegisteredModel> Versions,
    ClvDistribution Clv,
    DataQuality Quality,
    ProductsSection? Products = null,
    InteractionActivity? Interactions = null,
    IReadOnlyList<Core.Campaigns.CampaignReport>? Campaigns = null,
    Core.Recommendations.RecommendationRunSummary? Recommendations = null);

/// <summary>
/// The BG/NBD tracking plot's data: repeat transactions per week, actual and model-expected, for the customers whose
/// first purchase falls in the calibration period. Week <c>i</c> covers the seven days from <c>Start + 7i</c>.
/// </summary>
public sealed record TrackingSeries(
    DateOnly Start,
    DateOnly CalibrationEnd,
    DateOnly End,
    BetaGeoParameters Parameters,
    int Customers,
    IReadOnlyList<double> Actual,
    IReadOnlyList<double> Expected)
{
    public int Weeks => Actual.Count;

    public DateOnly WeekStart(int week) => Start.AddDays(7 * week);

    /// <summary>Sum of actual and expected repeat transactions over the weeks that start after the calibration end.</summary>
    public (double Actual, double Expected) HoldoutTotals()
    {
        double actual = 0, expected = 0;
        for (var week = 0; week < Weeks; week++)
        {
            if (WeekStart(week) > CalibrationEnd)
            {
                actual += Actual[week];
                expected += Expected[week];
            }
        }

        return (actual, expected);
    }
}

/// <summary>
/// The promoted model of one target re-scored on its own holdout cut-off: the rows behind its registered metrics,
/// so the diagrams and the table are computed from the same predictions. <see cref="Active"/> repeats the metrics on
/// the customers who bought in the year before the cut-off.
/// </summary>
public sealed record ModelCheck(
    PropensityTarget Target,
    string Version,
    DateTime HoldoutCutoffUtc,
    int LabelWindowDays,
    int Rows,
    int Positives,
    BinaryMetrics Model,
    BinaryMetrics RecencyBaseline,
    BinaryMetrics FrequencyBaseline,
    BinaryMetrics BetaGeoBaseline,
    HoldoutSlice? Active,
    double RegisteredAuc,
    IReadOnlyList<ReliabilityBin> Reliability,
    IReadOnlyList<RocCurve> Roc);

/// <summary>The run's CLV values: quantiles and a histogram up to the 99th percentile (the tail is counted, not drawn).</summary>
public sealed record ClvDistribution(
    int Customers,
    double Total,
    double Mean,
    double Median,
    double P90,
    double P99,
    double Max,
    double BinWidth,
    IReadOnlyList<int> Counts,
    int AboveRange);

/// <summary>A reason items were rejected at ingest, without the items' content.</summary>
public sealed record RejectionCount(string Kind, string Status, string Field, string Message, int Count);

/// <summary>Counts that tell whether the data can be trusted; never a personal value, only how many.</summary>
public sealed record DataQuality(
    long Customers,
    long Transactions,
    long Contacts,
    IReadOnlyList<RejectionCount> Rejected,
    int CustomersWithoutContact,
    long TransactionsWithoutContact,
    int ContactsWithoutPurchases,
    int DuplicateEmailGroups,
    int DuplicateEmailContacts,
    int NonPositiveAmounts,
    int FutureTimestamps,
    DateTime FutureAfterUtc,
    decimal GrossSpend = 0,
    decimal RefundedSpend = 0)
{
    /// <summary>Share of the gross spend of purchases not cancelled that was refunded; null without purchases.</summary>
    public double? RefundRate => GrossSpend > 0 ? (double)(RefundedSpend / GrossSpend) : null;
}
