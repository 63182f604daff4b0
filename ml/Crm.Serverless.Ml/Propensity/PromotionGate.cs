namespace Crm.Serverless.Ml.Propensity;

public sealed record PromotionDecision(bool Promote, string Reason);

/// <summary>
/// Decides whether a freshly trained model may replace the current one. Promotable only if its holdout AUC beats a
/// chance floor and both one-feature baselines, and is not worse than the current model's AUC on the same holdout by
/// more than the tolerance.
/// </summary>
public sealed class PromotionGate
{
    public PromotionGate(double aucTolerance, double minimumAuc = 0.55)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(aucTolerance);
        AucTolerance = aucTolerance;
        MinimumAuc = minimumAuc;
    }

    public double AucTolerance { get; }

    /// <summary>
    /// A floor near chance: baselines fitted on useless labels can rank backwards, and a model must not win merely by
    /// beating them.
    /// </summary>
    public double MinimumAuc { get; }

    /// <param name="candidate">The candidate's holdout evaluation (its metadata's <see cref="PropensityModelMetadata.Holdout"/>).</param>
    /// <param name="currentModelAuc">The current model's AUC on the same holdout rows, or null when there is none.</param>
    public PromotionDecision Decide(HoldoutEvaluation candidate, double? currentModelAuc)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var auc = candidate.Model.Auc;
        var recency = candidate.RecencyBaseline.Auc;
        var frequency = candidate.FrequencyBaseline.Auc;
        if (double.IsNaN(auc))
        {
            return new(false, "The holdout has only one class, so AUC is undefined.");
        }

        if (auc < MinimumAuc)
        {
            return new(false, $"Holdout AUC {auc:F4} is below the floor {MinimumAuc:F4}.");
        }

        if (!(auc > recency))
        {
            return new(false, $"Holdout AUC {auc:F4} does not beat the recency baseline's {recency:F4}.");
        }

        if (!(auc > frequency))
        {
            return new(false, $"Holdout AUC {auc:F4} does not beat the frequency baseline's {frequency:F4}.");
        }

        if (currentModelAuc is { } current && auc < current - AucTolerance)
        {
            return new(false, $"Holdout AUC {auc:F4} is worse than the current model's {current:F4} by more than {AucTolerance:F4}.");
        }

        return new(true, currentModelAuc is { } c
            ? $"Holdout AUC {auc:F4} beats recency {recency:F4} and frequency {frequency:F4} and is within {AucTolerance:F4} of the current model's {c:F4} or better."
            : $"Holdout AUC {auc:F4} beats recency {recency:F4} and frequency {frequency:F4}; there is no current model.");
    }
}
