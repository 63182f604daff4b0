using Crm.Serverless.Ml.Propensity;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Scoring;

/// <summary>
/// Trains the churn and purchase models as of a date, registers every version with its metrics, and promotes a
/// version only when the gate says it beats both baselines and is not worse than the model in use (compared on
/// the new holdout rows). A version the gate refuses is kept for inspection; scoring stays on the promoted one.
/// </summary>
public sealed class ModelTrainingService(PropensityTrainer trainer, PromotionGate gate, ModelRegistry registry, ILogger<ModelTrainingService> logger)
{
    public async Task<TrainingSummary> TrainAsync(PurchaseTable table, DateTime asOfUtc, PropensityTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        PropensityModel model;
        try
        {
            model = await Task.Run(() => trainer.Train(table, asOfUtc, target), cancellationToken);
        }
        catch (InvalidOperationException exception)
        {
            // Too little history for a time split is a state of the shop, not a crash: keep the current model.
            logger.LogWarning("No {Target} model trained as of {AsOf}: {Reason}", target, asOfUtc, exception.Message);
            var current = await registry.LoadPromotedAsync(target, cancellationToken);
            return new TrainingSummary(ModelRegistry.TargetName(target), null, false, "not trained: " + exception.Message, null, null, current?.Version);
        }

        var promoted = await registry.LoadPromotedAsync(target, cancellationToken);
        var currentAuc = promoted is { } p
            ? PropensityScorer.Evaluate(p.Model, table, model.Metadata.HoldoutCutoffUtc, model.Metadata.LabelWindowDays).Auc
            : (double?)null;
        var holdout = model.Metadata.Holdout;
        var decision = gate.Decide(holdout, currentAuc);
        var version = await registry.RegisterAsync(model, decision, cancellationToken);
        if (decision.Promote)
        {
            await registry.PromoteAsync(version, cancellationToken);
        }

        logger.LogInformation(
            "Trained {Target} model {Version}: AUC {Auc:0.000} (recency {RecencyAuc:0.000}, frequency {FrequencyAuc:0.000}), ECE {Ece:0.000}; promoted: {Promoted} ({Reason})",
            target, version, holdout.Model.Auc, holdout.RecencyBaseline.Auc, holdout.FrequencyBaseline.Auc, holdout.Model.ExpectedCalibrationError, decision.Promote, decision.Reason);
        return new TrainingSummary(
            ModelRegistry.TargetName(target),
            version,
            decision.Promote,
            decision.Reason,
            holdout,
            currentAuc,
            decision.Promote ? version : promoted?.Version);
    }
}
