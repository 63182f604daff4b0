using System.Globalization;

namespace Crm.Serverless.Ml.Propensity;

public sealed record PromotionDecision(bool Promote, string Reason);

/// <summary>
/// Decides whether a freshly trained model may replace the current one. Promotable only if its holdout AUC beats a
/// chance floor and all three baselines (recency, frequency, BG/NBD), its calibration error is not worse than the
/// BG/NBD model's by more than a tolerance, and its AUC on the same holdout is not worse than the current model's, nor
/// than the best of the last few promoted models', by more than the AUC tolerance. Comparing with the best recent one
/// too stops a slow slide: against the current model alone, a model could lose the tolerance every night.
/// </summary>
public sealed class PromotionGate
{
    public PromotionGate(double aucTolerance, double minimumAuc = 0.55, double eceTolerance = 0.01)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(aucTolerance);
        ArgumentOutOfRangeException.ThrowIfNegative(eceTolerance);
        AucTolerance = aucTolerance;
        MinimumAuc = minimumAuc;
        EceTolerance = eceTolerance;
    }

    public double AucTolerance { get; }

    /// <summary>
    /// A floor near chance: baselines fitted on useless labels can rank backwards, and a model must not win merely by
    /// beating them.
    /// </summary>
    public double MinimumAuc { get; }

    /// <summary>How much worse than the BG/NBD model's the candidate's holdout ECE may be.</summary>
    public double EceTolerance { get; }

    /// <param name="candidate">The candidate's holdout evaluation (its metadata's <see cref="PropensityModelMetadata.Holdout"/>).</param>
    /// <param name="currentModelAuc">The current model's AUC on the same holdout rows, or null when there is no comparable one.</param>
    /// <param name="bestRecentAuc">The best AUC on the same holdout rows of the last few promoted models, or null when there is none.</param>
    public PromotionDecision Decide(HoldoutEvaluation candidate, double? currentModelAuc, double? bestRecentAuc = null)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var auc = candidate.Model.Auc;
        if (double.IsNaN(auc))
        {
            return new(false, "The holdout has only one class, so AUC is undefined.");
        }

        if (auc < MinimumAuc)
        {
            return new(false, F($"Holdout AUC {auc:F4} is below the floor {MinimumAuc:F4}."));
        }

        var baselines = new List<(string Name, double Auc)>
        {
            ("recency", candidate.RecencyBaseline.Auc),
            ("frequency", candidate.FrequencyBaseline.Auc),
        };
        if (candidate.BetaGeoBaseline is { } betaGeo)
        {
            baselines.Add(("BG/NBD", betaGeo.Auc));
        }

        foreach (var (name, baselineAuc) in baselines)
        {
            if (!(auc > baselineAuc))
            {
                return new(false, F($"Holdout AUC {auc:F4} does not beat the {name} baseline's {baselineAuc:F4}."));
            }
        }

        var ece = candidate.Model.ExpectedCalibrationError;
        if (candidate.BetaGeoBaseline is { } calibrated && ece > calibrated.ExpectedCalibrationError + EceTolerance)
        {
            return new(false, F($"Holdout ECE {ece:F4} is worse than the BG/NBD baseline's {calibrated.ExpectedCalibrationError:F4} by more than {EceTolerance:F4}."));
        }

        if (currentModelAuc is { } current && auc < current - AucTolerance)
        {
            return new(false, F($"Holdout AUC {auc:F4} is worse than the current model's {current:F4} by more than {AucTolerance:F4}."));
        }

        if (bestRecentAuc is { } best && auc < best - AucTolerance)
        {
            return new(false, F($"Holdout AUC {auc:F4} is worse than the best recently promoted model's {best:F4} by more than {AucTolerance:F4}."));
        }

        var beaten = string.Join(", ", baselines.Select(b => F($"{b.Name} {b.Auc:F4}")));
        var against = (currentModelAuc, bestRecentAuc) switch
        {
            (null, null) => "there is no comparable current model",
            ({ } c, null) => F($"within {AucTolerance:F4} of the current model's {c:F4} or better"),
            (null, { } b) => F($"within {AucTolerance:F4} of the best recent model's {b:F4} or better"),
            ({ } c, { } b) => F($"within {AucTolerance:F4} of the current model's {c:F4} and the best recent model's {b:F4} or better"),
        };
        return new(true, F($"Holdout AUC {auc:F4} beats {beaten}; ECE {ece:F4}; {against}."));
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
