using System.Runtime.InteropServices;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Ml.Segmentation;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Nightly;

/// <summary>One segment's totals in one shard; they add up across shards into the run's <see cref="SegmentSummary"/>.</summary>
public sealed record SegmentTotal(string Segment, int Count, double Clv, int WithChurn, double Churn);

/// <summary>Stage 3's output for one shard: what stage 5 and the report need, no customer ids.</summary>
/// <param name="Written">Rows written to the Scores table (none for a backfill that does not publish; fewer when a customer was erased meanwhile).</param>
public sealed record ScoredShard(int Shard, int Customers, int Written, IReadOnlyList<SegmentTotal> Segments, double[] ClvValues, TrackingPartial? Tracking)
{
    /// <summary>Table rows the invocation read (the erase log's, <see cref="ShardWrite.EntitiesRead"/>), for the stage's figures.</summary>
    public long EntitiesRead { get; init; }

    /// <summary>Table rows the invocation upserted: one per customer written (scores and next best products in one row).</summary>
    public long EntitiesWritten { get; init; }
}

/// <summary>
/// Stage 3, per shard: scores the shard's compact histories with stage 2's models and cut-points (so each customer
/// gets what a whole-population pass would give), writes the rows through <see cref="ShardScoreWriter"/>, and keeps
/// the shard's totals and its discount response by segment (<see cref="ShardPartials"/>) for stage 4.
/// </summary>
public sealed class ScoreShard(
    ModelRegistry registry,
    ClvService clv,
    IOptions<PropensityOptions> propensityOptions,
    IOptions<NightlyOptions> options,
    ShardScoreWriter writer,
    RunStore runs,
    NightlyArtefacts artefacts,
    ShardInteractions interactions,
    ShardPartials partials,
    Recommendations.RecommendationStages recommendations)
{
    public async Task<ScoredShard> RunAsync(NightPlan plan, int shard, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var fit = await artefacts.ReadAsync<NightFit>(NightlyArtefacts.Fit(plan.RunId), cancellationToken);
        var histories = (await artefacts.ReadAsync<CompactHistories>(NightlyArtefacts.Histories(plan.RunId, shard), cancellationToken)).ToHistories();
        var churn = await LoadAsync(PropensityTarget.Churn, fit, cancellationToken);
        var purchase = await LoadAsync(PropensityTarget.Purchase, fit, cancellationToken);
        var events = await interactions.ShardAsync(plan, shard, cancellationToken);
        var scores = Score(histories, plan, fit, churn, purchase, events);
        await interactions.WriteActivityAsync(plan, shard, events, scores, cancellationToken);

        var run = await runs.GetAsync(plan.RunId, cancellationToken)
            ?? throw new InvalidOperationException($"Run {plan.RunId} has no run record.");
        var recommended = await recommendations.ForShardAsync(plan, shard, cancellationToken);
        var written = await writer.WriteAsync(run, shard, scores, recommended.Ranked(), cancellationToken);
        await partials.WriteDiscountsAsync(plan, shard, scores, cancellationToken);
        var tracking = fit.TrackingCalibrationEnd is { } calibrationEnd
            ? TrackingPartial.Of(histories, calibrationEnd, plan.AsOf, clv)
            : null;
        var scored = new ScoredShard(shard, scores.Length, written.Written, Totals(scores), [.. scores.Select(s => s.Clv)], tracking) { EntitiesRead = written.EntitiesRead, EntitiesWritten = written.EntitiesWritten };
        await artefacts.WriteAsync(NightlyArtefacts.Scored(plan.RunId, shard), scored, cancellationToken);
        return scored;
    }

    /// <summary>
    /// Scores some customers (a shard) without storage: CLV with the population's fit, churn and purchase probabilities
    /// (the models, or the population's BG/NBD), segments against the population's cut-points. With the shard's
    /// interactions (a store that has them), a model trained with the interaction features gets them.
    /// </summary>
    public CustomerScore[] Score(
        IReadOnlyList<CustomerHistory> histories, NightPlan plan, NightFit fit, PropensityModel? churn, PropensityModel? purchase,
        IReadOnlyDictionary<string, IReadOnlyList<InteractionEvent>>? interactions = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(fit);
        var endOfDay = plan.AsOfEndUtc;
        var model = fit.Clv.ToModel();
        var table = PurchaseTable.From(histories);
        var cutoffModel = fit.Cutoff is { } cutoff ? new BetaGeoModel(cutoff) : null;
        table.UseCutoffModel(endOfDay, cutoffModel);
        var withInteractions = ShardInteractions.Table(histories, interactions, cutoffModel, endOfDay);
        var summaries = clv.Summarise(histories, plan.CalibrationEndUtc);
        var clvScores = clv.Score(model, summaries);

        var windows = propensityOptions.Value;
        var explanations = churn is { } c
            ? PropensityScorer.Explain(c, ShardInteractions.For(c, table, withInteractions), endOfDay, topFactors: options.Value.ExplanationFactors).ToDictionary(e => e.CustomerId, StringComparer.Ordinal)
            : [];
        var churnProbabilities = churn is null
            ? Probabilities(PropensityScorer.ScoreBetaGeo(table, endOfDay, PropensityTarget.Churn, windows.ChurnWindowDays))
            : explanations.ToDictionary(e => e.Key, e => (double)e.Value.Probability, StringComparer.Ordinal);
        var purchaseProbabilities = Probabilities(purchase is { } p
            ? PropensityScorer.Score(p, ShardInteractions.For(p, table, withInteractions), endOfDay)
            : PropensityScorer.ScoreBetaGeo(table, endOfDay, PropensityTarget.Purchase, windows.PurchaseWindowDays));

        // Every summarised customer has a feature row at the same date; the CLV model's own closed form covers any gap.
        var noPurchase = model.ProbabilityNoPurchase(summaries, windows.ChurnWindowDays / model.TimeUnit.Days());
        var churnOf = new double[summaries.Count];
        for (var i = 0; i < churnOf.Length; i++)
        {
            churnOf[i] = churnProbabilities.TryGetValue(summaries.CustomerIds[i], out var probability) ? probability : noPurchase[i];
        }

        var segments = CustomerSegmenter.Segment(summaries, clvScores, churnOf, fit.Cuts);
        var (churnVersion, purchaseVersion) = (fit.Scorer(PropensityTarget.Churn).ScoreVersion, fit.Scorer(PropensityTarget.Purchase).ScoreVersion);
        var scores = new CustomerScore[summaries.Count];
        for (var i = 0; i < scores.Length; i++)
        {
            var id = summaries.CustomerIds[i];
            var value = clvScores[i];
            var segment = segments[i];
            var explanation = explanations.GetValueOrDefault(id);
            scores[i] = new CustomerScore(
                id,
                plan.RunId,
                plan.AsOf,
                churnOf[i],
                purchaseProbabilities.TryGetValue(id, out var buy) ? buy : null,
                explanation is null ? [] : [.. explanation.TopFactors.Select(f => new ScoreFactor(f.ReadableName, f.Value, f.Contribution))],
                value.ProbabilityAlive,
                value.ExpectedPurchases,
                value.ExpectedAverageSpend,
                value.Clv,
                value.NextPurchaseUtc,
                segment.Rfm.Recency,
                segment.Rfm.Frequency,
                segment.Rfm.Monetary,
                segment.Segment.Slug(),
                segment.Value.ToString(),
                segment.ChurnRisk.ToString(),
                churnVersion,
                purchaseVersion);
        }

        return scores;
    }

    private async Task<PropensityModel?> LoadAsync(PropensityTarget target, NightFit fit, CancellationToken cancellationToken)
        => fit.Scorer(target).Version is { } version ? await registry.LoadAsync(target, version, cancellationToken) : null;

    private static Dictionary<string, double> Probabilities(IReadOnlyList<CustomerPropensity> scores)
        => scores.ToDictionary(s => s.CustomerId, s => (double)s.Probability, StringComparer.Ordinal);

    /// <summary>One pass over the shard rather than one per segment.</summary>
    private static List<SegmentTotal> Totals(CustomerScore[] scores)
    {
        var totals = new Dictionary<string, (int Count, double Clv, int WithChurn, double Churn)>(StringComparer.Ordinal);
        foreach (var score in scores)
        {
            ref var total = ref CollectionsMarshal.GetValueRefOrAddDefault(totals, score.Segment, out _);
            total.Count++;
            total.Clv += score.Clv;
            if (score.ChurnProbability is { } churn)
            {
                total.WithChurn++;
                total.Churn += churn;
            }
        }

        return [.. totals.Select(t => new SegmentTotal(t.Key, t.Value.Count, t.Value.Clv, t.Value.WithChurn, t.Value.Churn))];
    }
}
