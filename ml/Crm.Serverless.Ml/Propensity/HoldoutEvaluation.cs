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
        => Compute(HoldoutScores.Of(holdout, target, model, recency, frequency), holdoutCutoffUtc);

    /// <summary>The metrics of already computed holdout scores (the run report draws its curves from the same scores).</summary>
    public static HoldoutEvaluation Compute(HoldoutScores scores, DateTime holdoutCutoffUtc)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var all = scores.Slice(_ => true);
        var active = scores.Slice(row => scores.Rows.Value(row, CustomerFeatures.RecencyDays) <= HoldoutSlice.ActiveDays);
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
}

/// <summary>
/// Each scorer's probability for every holdout row, the model's and the three baselines', computed once: the one
/// place holdout rows are scored, so the metrics (<see cref="HoldoutEvaluation"/>) and the report's curves
/// (<see cref="HoldoutCurves"/>) come from the same numbers.
/// </summary>
public sealed class HoldoutScores
{
    private readonly bool[] _labels;
    private readonly float[] _model;
    private readonly float[] _recency;
    private readonly float[] _frequency;
    private readonly float[] _betaGeo;

    private HoldoutScores(LabelledRows rows, bool[] labels, float[] model, float[] recency, float[] frequency, float[] betaGeo)
        => (Rows, _labels, _model, _recency, _frequency, _betaGeo) = (rows, labels, model, recency, frequency, betaGeo);

    /// <param name="model">The model's probability per row of <paramref name="rows"/>.</param>
    /// <param name="recency">Scores the feature it was fitted on (looked up by name, so an older model's baseline still reads its own column).</param>
    public static HoldoutScores Of(LabelledRows rows, PropensityTarget target, float[] model, LogisticBaseline recency, LogisticBaseline frequency)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(recency);
        ArgumentNullException.ThrowIfNull(frequency);
        if (model.Length != rows.Count)
        {
            throw new ArgumentException($"Need one model probability per holdout row ({model.Length} for {rows.Count}).", nameof(model));
        }

        var recencyColumn = Column(recency.FeatureName);
        var frequencyColumn = Column(frequency.FeatureName);
        var labels = new bool[rows.Count];
        var recencyScores = new float[rows.Count];
        var frequencyScores = new float[rows.Count];
        for (var row = 0; row < rows.Count; row++)
        {
            labels[row] = rows.Label(row);
            recencyScores[row] = recency.Predict(rows.Value(row, recencyColumn));
            frequencyScores[row] = frequency.Predict(rows.Value(row, frequencyColumn));
        }

        return new HoldoutScores(rows, labels, model, recencyScores, frequencyScores, HoldoutEvaluation.BetaGeoProbabilities(rows, target));
    }

    public LabelledRows Rows { get; }

    public ReadOnlySpan<bool> Labels => _labels;

    public ReadOnlySpan<float> Model => _model;

    public ReadOnlySpan<float> Recency => _recency;

    public ReadOnlySpan<float> Frequency => _frequency;

    public ReadOnlySpan<float> BetaGeo => _betaGeo;

    /// <summary>The four scorers' metrics on the rows <paramref name="include"/> keeps; null when it keeps none.</summary>
    public HoldoutSlice? Slice(Func<int, bool> include)
    {
        var selected = Enumerable.Range(0, Rows.Count).Where(include).ToArray();
        if (selected.Length == 0)
        {
            return null;
        }

        var labels = selected.Select(r => _labels[r]).ToArray();
        return new HoldoutSlice(
            selected.Length,
            (double)labels.Count(l => l) / selected.Length,
            BinaryMetrics.Compute(selected.Select(r => _model[r]).ToArray(), labels),
            BinaryMetrics.Compute(selected.Select(r => _recency[r]).ToArray(), labels),
            BinaryMetrics.Compute(selected.Select(r => _frequency[r]).ToArray(), labels),
            BinaryMetrics.Compute(selected.Select(r => _betaGeo[r]).ToArray(), labels));
    }

    private static int Column(string featureName)
    {
        for (var i = 0; i < CustomerFeatures.Names.Count; i++)
        {
            if (CustomerFeatures.Names[i] == featureName)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"The model's baseline uses '{featureName}', which is not a feature of this build.");
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
