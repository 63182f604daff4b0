using System.Globalization;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Ml.Segmentation;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Scoring;

/// <summary>
/// The whole-population half of a nightly run: scores every customer with the promoted models, fits CLV and
/// segments (quintiles and tiers need everyone), then hands each shard's results to the fan-out as one blob.
/// Writing the results to the Scores table is the shards' job (<see cref="ShardScoreWriter"/>).
/// </summary>
public sealed class ScoringRunService(
    ModelRegistry registry,
    ClvService clv,
    IOptions<ClvOptions> clvOptions,
    IOptions<PropensityOptions> propensityOptions,
    IOptions<NightlyOptions> options,
    RunStore runs,
    CrmTables tables,
    TimeProvider clock,
    Products.ProductFactsService products)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Below this, the spend model has too little to fit and its estimates would be noise.</summary>
    public const int MinimumRepeatCustomers = 10;

    public static string ShardBlobName(string runId, int shard) => $"{runId}/shard-{shard:D2}.json";

    public async Task<RunRecord> PrepareAsync(
        IReadOnlyList<CustomerHistory> histories,
        PurchaseTable table,
        DateOnly asOf,
        IReadOnlyList<TrainingSummary> training,
        Dictionary<string, double> stepSeconds,
        CancellationToken cancellationToken,
        bool backfill = false,
        bool publish = true)
    {
        ArgumentNullException.ThrowIfNull(histories);
        ArgumentNullException.ThrowIfNull(training);
        var runId = runs.NewRunId();
        var (churn, churnSource) = await ModelInUseAsync(PropensityTarget.Churn, training, asOf, cancellationToken);
        var (purchase, purchaseSource) = await ModelInUseAsync(PropensityTarget.Purchase, training, asOf, cancellationToken);
        var (scores, model) = Score(histories, table, asOf, runId, churn, purchase, churnSource.ScoreVersion, purchaseSource.ScoreVersion, stepSeconds);

        var stopwatch = Stopwatch.StartNew();
        // Every shard gets a blob, empty or not, so a missing one means a failed hand-off, never "no customers".
        var byShard = scores.ToLookup(s => CrmKeys.ShardOf(s.CustomerId));
        await Parallel.ForEachAsync(
            Enumerable.Range(0, CrmKeys.ShardCount),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (shard, ct) => await tables.RunResults.GetBlobClient(ShardBlobName(runId, shard))
                .UploadAsync(BinaryData.FromObjectAsJson(byShard[shard].ToArray(), Json), overwrite: true, ct));

        stepSeconds["handOff"] = stopwatch.Elapsed.TotalSeconds;

        // nightly hook: products (product facts and discount response by segment, from the baskets: run artefacts)
        stopwatch.Restart();
        await products.WriteAsync(runId, asOf, scores, cancellationToken);
        stepSeconds["productsAndDiscounts"] = stopwatch.Elapsed.TotalSeconds;
        var run = new RunRecord(
            runId,
            asOf,
            RunStatus.Scoring,
            CrmKeys.ShardCount,
            scores.Length,
            clock.GetUtcNow(),
            null,
            training,
            Summarise(model),
            Summarise(scores),
            stepSeconds,
            [churnSource, purchaseSource],
            model.Spend.Warning is { } warning ? [warning] : [],
            backfill,
            publish);
        await runs.CreateAsync(run, cancellationToken);
        return run;
    }

    /// <summary>
    /// Everything a run computes, without storage: CLV fitted and scored, segments, and both propensity models'
    /// scores for every customer. <c>crm bench</c> times exactly this.
    /// </summary>
    /// <param name="churnVersion">What every row names as its churn model (<see cref="ScoringSource.ScoreVersion"/>).</param>
    public (CustomerScore[] Scores, ClvModel Model) Score(
        IReadOnlyList<CustomerHistory> histories,
        PurchaseTable table,
        DateOnly asOf,
        string runId,
        PropensityModel? churn,
        PropensityModel? purchase,
        string churnVersion,
        string purchaseVersion,
        Dictionary<string, double> stepSeconds)
    {
        ArgumentNullException.ThrowIfNull(histories);
        ArgumentNullException.ThrowIfNull(stepSeconds);
        var endOfDay = AsOfEnd(asOf);
        var stopwatch = Stopwatch.StartNew();
        var summaries = clv.Summarise(histories, asOf.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
        if (summaries.RepeatCustomers < MinimumRepeatCustomers)
        {
            throw new InsufficientDataException(
                $"CLV needs at least {MinimumRepeatCustomers} customers who bought again by {asOf:yyyy-MM-dd}; there are {summaries.RepeatCustomers} of {summaries.Count}.");
        }

        var model = clv.Fit(summaries);
        var clvScores = clv.Score(model, summaries);
        stepSeconds["clvAndSegments"] = stopwatch.Elapsed.TotalSeconds;

        stopwatch.Restart();
        var windows = propensityOptions.Value;
        var explanations = churn is { } c
            ? PropensityScorer.Explain(c, table, endOfDay, topFactors: options.Value.ExplanationFactors).ToDictionary(e => e.CustomerId, StringComparer.Ordinal)
            : [];
        var churnProbabilities = churn is null
            ? Probabilities(PropensityScorer.ScoreBetaGeo(table, endOfDay, PropensityTarget.Churn, windows.ChurnWindowDays))
            : explanations.ToDictionary(e => e.Key, e => (double)e.Value.Probability, StringComparer.Ordinal);
        var purchaseProbabilities = Probabilities(purchase is { } p
            ? PropensityScorer.Score(p, table, endOfDay)
            : PropensityScorer.ScoreBetaGeo(table, endOfDay, PropensityTarget.Purchase, windows.PurchaseWindowDays));
        stepSeconds["propensityScoring"] = stopwatch.Elapsed.TotalSeconds;

        stopwatch.Restart();

        // Every summarised customer has a feature row at the same date; the CLV model's own closed form covers any gap.
        var noPurchase = model.ProbabilityNoPurchase(summaries, windows.ChurnWindowDays / model.TimeUnit.Days());
        var churnOf = new double[summaries.Count];
        for (var i = 0; i < churnOf.Length; i++)
        {
            churnOf[i] = churnProbabilities.TryGetValue(summaries.CustomerIds[i], out var probability) ? probability : noPurchase[i];
        }

        var segments = CustomerSegmenter.Segment(summaries, clvScores, churnOf);
        stepSeconds["clvAndSegments"] += stopwatch.Elapsed.TotalSeconds;

        var scores = new CustomerScore[summaries.Count];
        for (var i = 0; i < scores.Length; i++)
        {
            var id = summaries.CustomerIds[i];
            var value = clvScores[i];
            var segment = segments[i];
            var explanation = explanations.GetValueOrDefault(id);
            scores[i] = new CustomerScore(
                id,
                runId,
                asOf,
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

        return (scores, model);
    }

    /// <summary>
    /// The model that scores a target in this run, or null for the BG/NBD probabilities: when tonight's training found
    /// no model that beats BG/NBD, when the promoted model learned from days after the as-of date (a backfill must not
    /// see the future), or when it was trained on another feature layout (retrain to replace it).
    /// </summary>
    private async Task<(PropensityModel? Model, ScoringSource Source)> ModelInUseAsync(
        PropensityTarget target, IReadOnlyList<TrainingSummary> training, DateOnly asOf, CancellationToken cancellationToken)
    {
        var name = ModelRegistry.TargetName(target);
        var trained = training.FirstOrDefault(t => t.Target == name);
        if (trained is { ScoringVersion: null })
        {
            return (null, new ScoringSource(name, null, "BG/NBD probabilities: no model that beats the BG/NBD baseline on tonight's holdout is available."));
        }

        try
        {
            // Training already chose the version (and checked its window); a backfill's candidate is not promoted.
            if (trained is { ScoringVersion: { } chosen })
            {
                return (await registry.LoadAsync(target, chosen, cancellationToken), new ScoringSource(name, chosen, $"model {chosen}"));
            }

            if (await registry.LoadPromotedAsync(target, cancellationToken) is not { } promoted)
            {
                return (null, new ScoringSource(name, null, "BG/NBD probabilities: no model is promoted yet."));
            }

            var windowEnd = promoted.Model.Metadata.TrainingWindowEndUtc;
            return windowEnd <= AsOfEnd(asOf)
                ? (promoted.Model, new ScoringSource(name, promoted.Version, $"model {promoted.Version}"))
                : (null, new ScoringSource(name, null, string.Create(CultureInfo.InvariantCulture,
                    $"BG/NBD probabilities: the promoted model {promoted.Version} learned from data up to {windowEnd:yyyy-MM-dd}, after this run's as-of date; train (--train) for a model of this date.")));
        }
        catch (InvalidDataException)
        {
            return (null, new ScoringSource(name, null, "BG/NBD probabilities: the promoted model was trained on another feature layout; retrain."));
        }
    }

    private static Dictionary<string, double> Probabilities(IReadOnlyList<CustomerPropensity> scores)
        => scores.ToDictionary(s => s.CustomerId, s => (double)s.Probability, StringComparer.Ordinal);

    /// <summary>"As of D" means D's purchases are in: the models' cut-off instant is the end of that day.</summary>
    public static DateTime AsOfEnd(DateOnly asOf) => asOf.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc);

    public static async Task<CustomerScore[]> ReadShardAsync(CrmTables tables, string runId, int shard, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var content = await tables.RunResults.GetBlobClient(ShardBlobName(runId, shard)).DownloadContentAsync(cancellationToken);
        return content.Value.Content.ToObjectFromJson<CustomerScore[]>(Json)!;
    }

    private ClvFitSummary Summarise(ClvModel model)
    {
        var purchases = model.Purchases.Parameters;
        var spend = model.Spend.Parameters;
        return new ClvFitSummary(
            purchases.R, purchases.Alpha, purchases.A, purchases.B, model.Purchases.LogLikelihood,
            spend.P, spend.Q, spend.Gamma, model.Spend.LogLikelihood,
            model.Customers, model.RepeatCustomers, model.TimeUnit.ToString(), clvOptions.Value.HorizonMonths);
    }

    /// <summary>One pass over everyone rather than one per segment: at a million customers the passes show.</summary>
    private static List<SegmentSummary> Summarise(CustomerScore[] scores)
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

        return [.. Enum.GetValues<RfmSegment>().Select(segment =>
        {
            var total = totals.GetValueOrDefault(segment.Slug());
            return new SegmentSummary(
                segment.Slug(),
                segment.DisplayName(),
                total.Count,
                total.Count == 0 ? 0 : total.Clv / total.Count,
                total.Clv,
                total.WithChurn == 0 ? null : total.Churn / total.WithChurn);
        })];
    }
}
