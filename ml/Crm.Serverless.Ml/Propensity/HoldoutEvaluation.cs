namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// A model's metrics on the holdout cut-off beside three baselines scored on the very same rows (one-feature logistic
/// fits on recency and on frequency, and the BG/NBD model's own probability), for all customers and for those active
/// in the last year, so a model that does not beat what a CLV practitioner would use instead is visible at a glance.
/// </summary>
/// <param name="BetaGeoBaseline">Null only in models registered before the BG/NBD baseline existed.</param>
/// <param name="Active">The same metrics on customers who bought in the <see cref="HoldoutSlice.ActiveDays"/> before the cut-off; null when none did.</param>
public sealed record HoldoutEvaluation(
    DateTime HoldoutCutoffUtc,
    int Rows,
    double PositiveRate,
    BinaryMetrics Model,
    BinaryMetrics RecencyBaseline,
    BinaryMetrics FrequencyBaseline,
    BinaryMetrics? BetaGeoBaseline = null,
    HoldoutSlice? Active = null)
{
    /// <summary>Scores the model's and the baselines' probabilities for the same holdout rows.</summary>
    public static HoldoutEvaluation Compute(
        LabelledRows holdout,
        PropensityTarget target,
        DateTime holdoutCutoffUtc,
        float[] model,
        LogisticBaseline recency,
        LogisticBaseline frequency)
    {
        ArgumentNullException.ThrowIfNull(holdout);
        ArgumentNullException.ThrowIfNull(recency);
        ArgumentNullException.ThrowIfNull(frequency);
        var scores = new HoldoutScores(holdout, target, model, recency, frequency);
        var all = scores.Slice(_ => true);
        var active = scores.Slice(row => holdout.Value(row, CustomerFeatures.RecencyDays) <= HoldoutSlice.ActiveDays);
        return new HoldoutEvaluation(
            holdoutCutoffUtc, all!.Rows, all.PositiveRate, all.Model, all.RecencyBaseline, all.FrequencyBaseline, all.BetaGeoBaseline, active);
    }

    /// <summary>The BG/NBD model's probability of the target's positive class for each row, from its features.</summary>
    public static float[] BetaGeoProbabilities(LabelledRows rows, PropensityTarget target)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var probabilities = new float[rows.Count];
        for (var row = 0; row < rows.Count; row++)
        {
            probabilities[row] = BetaGeoProbability(rows.Value(row, CustomerFeatures.BetaGeoNoPurchaseProbability), target);
        }

        return probabilities;
    }

    /// <summary>P(churn) is P(no purchase in the window); P(purchase) its complement; 0.5 where no BG/NBD fit exists.</summary>
    internal static float BetaGeoProbability(float noPurchase, PropensityTarget target)
        => noPurchase < 0 ? 0.5f : target == PropensityTarget.Churn ? noPurchase : 1 - noPurchase;

    private sealed class HoldoutScores(LabelledRows rows, PropensityTarget target, float[] model, LogisticBaseline recency, LogisticBaseline frequency)
    {
        private readonly float[] _betaGeo = BetaGeoProbabilities(rows, target);

        public HoldoutSlice? Slice(Func<int, bool> include)
        {
            var selected = Enumerable.Range(0, rows.Count).Where(include).ToArray();
            if (selected.Length == 0)
            {
                return null;
            }

            var labels = selected.Select(rows.Label).ToArray();
            return new HoldoutSlice(
                selected.Length,
                (double)labels.Count(l => l) / selected.Length,
                BinaryMetrics.Compute(selected.Select(r => model[r]).ToArray(), labels),
                BinaryMetrics.Compute(selected.Select(r => recency.Predict(rows.Value(r, CustomerFeatures.RecencyDays))).ToArray(), labels),
                BinaryMetrics.Compute(selected.Select(r => frequency.Predict(rows.Value(r, CustomerFeatures.PurchaseDays))).ToArray(), labels),
                BinaryMetrics.Compute(selected.Select(r => _betaGeo[r]).ToArray(), labels));
        }
    }
}

/// <summary>The model's and the three baselines' metrics on one group of holdout rows.</summary>
public sealed record HoldoutSlice(
    int Rows,
    double PositiveRate,
    BinaryMetrics Model,
    BinaryMetrics RecencyBaseline,
    BinaryMetrics FrequencyBaseline,
    BinaryMetrics BetaGeoBaseline)
{
    /// <summary>
    /// Customers who bought within this many days before the cut-off. Long-lapsed customers are easy churners for any
    /// model and flatter every AUC; this slice shows what is left once they are set aside.
    /// </summary>
    public const double ActiveDays = 365;
}
