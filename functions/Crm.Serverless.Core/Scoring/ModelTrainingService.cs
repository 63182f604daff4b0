using System.Globalization;
using Crm.Serverless.Ml.Propensity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Scoring;

/// <summary>
/// Trains the churn and purchase models as of a date, registers every version with its metrics, and promotes a
/// version only when the gate says it beats the three baselines (BG/NBD among them) and is not worse than the model
/// in use nor the best of the last few promoted ones (all compared on the new holdout rows). A version the gate refuses
/// is kept for inspection. Scoring stays on the promoted model while that still beats BG/NBD on the new holdout;
/// otherwise the run scores with the BG/NBD probabilities (<see cref="TrainingSummary.ScoringVersion"/> null).
/// As of a date, a registered model counts only if its training labels ended by then (for the comparison on the
/// holdout: by the holdout cut-off, or it would be judged on rows it learned from); a backfill that does not publish
/// (<c>promote: false</c>) registers its candidate and may score with it, but never moves the promoted pointer.
/// </summary>
public sealed class ModelTrainingService(
    PropensityTrainer trainer,
    PromotionGate gate,
    ModelRegistry registry,
    IOptions<PropensityOptions> options,
    ILogger<ModelTrainingService> logger)
{
    public async Task<TrainingSummary> TrainAsync(PurchaseTable table, DateTime asOfUtc, PropensityTarget target, CancellationToken cancellationToken, bool promote = true)
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
            var current = await ComparablePromotedAsync(target, asOfUtc, cancellationToken);
            return new TrainingSummary(ModelRegistry.TargetName(target), null, false, "not trained: " + exception.Message, null, null, current);
        }

        var holdout = model.Metadata.Holdout;
        var (currentVersion, currentAuc, bestRecentAuc, notes) = await CompareWithPromotedAsync(table, model, cancellationToken);
        var decision = gate.Decide(holdout, currentAuc, bestRecentAuc);
        var version = await registry.RegisterAsync(model, decision, cancellationToken);
        if (decision.Promote && promote)
        {
            await registry.PromoteAsync(version, cancellationToken);
        }
        else if (decision.Promote)
        {
            notes.Add($"{version} passed the gate but is not promoted: this backfill does not publish.");
        }

        // Never a worse model for the sake of having one: the current model keeps scoring only while it still beats
        // BG/NBD on tonight's holdout.
        var betaGeoAuc = holdout.BetaGeoBaseline?.Auc ?? double.NaN;
        var scoringVersion = decision.Promote ? version
            : currentVersion is not null && currentAuc > betaGeoAuc ? currentVersion
            : null;
        if (scoringVersion is null)
        {
            notes.Add("No trained model beats the BG/NBD baseline on this holdout, so the BG/NBD probabilities are the scores.");
        }

        logger.LogInformation(
            "Trained {Target} model {Version}: AUC {Auc:0.000} (recency {RecencyAuc:0.000}, frequency {FrequencyAuc:0.000}, BG/NBD {BetaGeoAuc:0.000}), ECE {Ece:0.000}; promoted: {Promoted} ({Reason}); scoring with {Scorer}",
            target, version, holdout.Model.Auc, holdout.RecencyBaseline.Auc, holdout.FrequencyBaseline.Auc, betaGeoAuc,
            holdout.Model.ExpectedCalibrationError, decision.Promote, decision.Reason, scoringVersion ?? "BG/NBD");
        return new TrainingSummary(
            ModelRegistry.TargetName(target),
            version,
            decision.Promote && promote,
            decision.Reason,
            holdout,
            currentAuc,
            scoringVersion,
            bestRecentAuc,
            notes);
    }

    /// <summary>
    /// The current and the last few promoted models scored on the candidate's holdout rows. A purchase-only version
    /// facing a candidate with interaction features is scored on the same holdout customers and labels without the
    /// interaction columns (like with like: the shop just started sending interactions). A version whose feature
    /// layout this run cannot give it cannot be compared: it counts as absent, with a note, and never stops the night.
    /// </summary>
    private async Task<(string? CurrentVersion, double? CurrentAuc, double? BestRecentAuc, List<string> Notes)> CompareWithPromotedAsync(
        PurchaseTable table, PropensityModel candidate, CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        var history = await registry.PromotedHistoryAsync(candidate.Target, Math.Max(1, options.Value.PromotionHistory), cancellationToken);
        if (history.Count == 0)
        {
            return (null, null, null, notes);
        }

        var metadata = candidate.Metadata;
        var rows = LabelledRows.Build(table, [metadata.HoldoutCutoffUtc], candidate.Target, metadata.LabelWindowDays);
        var purchaseRows = new Lazy<LabelledRows>(() => LabelledRows.Build(table.WithoutInteractions(), [metadata.HoldoutCutoffUtc], candidate.Target, metadata.LabelWindowDays));
        string? currentVersion = null;
        double? currentAuc = null, best = null;
        for (var i = 0; i < history.Count; i++)
        {
            PropensityModel promoted;
            try
            {
                promoted = await registry.LoadAsync(candidate.Target, history[i], cancellationToken);
            }
            catch (InvalidDataException exception)
            {
                logger.LogWarning("Model {Version} cannot be compared: {Reason}", history[i], exception.Message);
                notes.Add(i == 0
                    ? $"No comparable current model: {history[i]} was trained on another feature layout."
                    : $"{history[i]} was trained on another feature layout and is left out of the comparison.");
                continue;
            }

            var comparable = promoted.Fits(rows.Layout) ? rows
                : rows.Layout.HasInteractions && promoted.Fits(FeatureLayout.Purchases) ? purchaseRows.Value
                : null;
            if (comparable is null)
            {
                // With interaction features against without (or the reverse): the holdout rows mean other columns to it.
                notes.Add(i == 0
                    ? $"No comparable current model: {history[i]} was trained on another feature layout (with or without interaction features)."
                    : $"{history[i]} was trained on another feature layout (with or without interaction features) and is left out of the comparison.");
                continue;
            }

            if (promoted.Metadata.TrainingWindowEndUtc > metadata.HoldoutCutoffUtc)
            {
                // A backfill: this model learned from the candidate's holdout days, so its AUC there would flatter it.
                notes.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{history[i]} learned from data up to {promoted.Metadata.TrainingWindowEndUtc:yyyy-MM-dd}, past this holdout's cut-off; left out of the comparison."));
                continue;
            }

            var auc = PropensityScorer.Evaluate(promoted, comparable).Auc;
            if (i == 0)
            {
                (currentVersion, currentAuc) = (history[i], auc);
            }

            if (options.Value.PromotionHistory > 0 && !double.IsNaN(auc))
            {
                best = best is { } b ? Math.Max(b, auc) : auc;
            }
        }

        return (currentVersion, currentAuc, best, notes);
    }

    private async Task<string?> ComparablePromotedAsync(PropensityTarget target, DateTime asOfUtc, CancellationToken cancellationToken)
    {
        try
        {
            return await registry.LoadPromotedAsync(target, cancellationToken) is { } promoted && promoted.Model.Metadata.TrainingWindowEndUtc <= asOfUtc
                ? promoted.Version
                : null;
        }
        catch (InvalidDataException exception)
        {
            logger.LogWarning("The promoted {Target} model cannot score: {Reason}", target, exception.Message);
            return null;
        }
    }
}
