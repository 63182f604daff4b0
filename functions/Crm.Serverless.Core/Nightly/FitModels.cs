using System.Diagnostics;
using System.Globalization;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Ml.Segmentation;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Nightly;

/// <summary>A fitted CLV model as numbers, so stage 3 scores with exactly the model stage 2 fitted.</summary>
public sealed record ClvFit(
    BetaGeoParameters Purchases,
    double PurchasesLogLikelihood,
    int Customers,
    int PurchasesIterations,
    GammaGammaParameters Spend,
    double SpendLogLikelihood,
    int RepeatCustomers,
    int SpendIterations,
    double FallbackMeanSpend,
    ClvTimeUnit TimeUnit,
    DateTime CalibrationEndUtc)
{
    public static ClvFit Of(ClvModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (purchases, spend) = (model.Purchases, model.Spend);
        return new ClvFit(
            purchases.Parameters, purchases.LogLikelihood, purchases.Customers, purchases.Iterations,
            spend.Parameters, spend.LogLikelihood, spend.Customers, spend.Iterations, spend.FallbackMeanSpend,
            model.TimeUnit, model.CalibrationEndUtc);
    }

    public ClvModel ToModel() => new(
        new BetaGeoFit(Purchases, PurchasesLogLikelihood, Customers, PurchasesIterations),
        new GammaGammaFit(Spend, SpendLogLikelihood, RepeatCustomers, SpendIterations, FallbackMeanSpend),
        TimeUnit,
        CalibrationEndUtc);
}

/// <summary>Stage 2's output: everything a shard needs to score as the whole population would score it.</summary>
/// <param name="Cutoff">The population's BG/NBD fit at the end of the as-of day (three features); null when none fits.</param>
/// <param name="TrackingCalibrationEnd">Where the report's tracking plot ends its calibration; null with <paramref name="TrackingNote"/> when the data is too short.</param>
public sealed record NightFit(
    ClvFit Clv,
    BetaGeoParameters? Cutoff,
    SegmentCuts Cuts,
    IReadOnlyList<ScoringSource> Scorers,
    DateOnly? TrackingCalibrationEnd,
    string? TrackingNote)
{
    public ScoringSource Scorer(PropensityTarget target) => Scorers.Single(s => s.Target == ModelRegistry.TargetName(target));
}

/// <summary>
/// Stage 2, once: fits CLV (BG/NBD + Gamma-Gamma) and the features' BG/NBD on every shard's summary columns (arrays of
/// doubles, not histories), trains and gates both propensity models on the merged sample, and computes the
/// population's segment cut-points. The as-of discipline of <see cref="ModelInUseAsync"/> decides what scores.
/// </summary>
public sealed class FitModels(
    ModelTrainingService training,
    ModelRegistry registry,
    ClvService clv,
    RunStore runs,
    NightlyArtefacts artefacts,
    ShardInteractions interactions,
    Recommendations.RecommendationStages recommendations)
{
    /// <summary>Below this, the spend model has too little to fit and its estimates would be noise.</summary>
    public const int MinimumRepeatCustomers = 10;

    /// <summary>The tracking plot holds back this many weeks before the as-of (fewer when the data is short).</summary>
    public const int HoldoutWeeks = 26;

    /// <exception cref="InsufficientDataException">Too few repeat customers to fit CLV.</exception>
    public async Task<NightFit> RunAsync(NightPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var steps = new Dictionary<string, double>();
        var stopwatch = Stopwatch.StartNew();
        var shards = new ShardSummary[plan.Shards];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, plan.Shards),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (shard, ct) => shards[shard] = await artefacts.ReadAsync<ShardSummary>(NightlyArtefacts.Summary(plan.RunId, shard), ct));
        steps["fit.readSummaries"] = stopwatch.Elapsed.TotalSeconds;

        stopwatch.Restart();
        var (model, cuts, cutoff) = FitPopulation([.. shards.Select(s => s.Clv)], [.. shards.Select(s => s.Cutoff)], plan, clv);
        steps["fit.clvAndCutPoints"] = stopwatch.Elapsed.TotalSeconds;

        stopwatch.Restart();
        var sample = PurchaseTable.From(shards.SelectMany(s => s.Sample.ToHistories()).ToList(), await interactions.SampleAsync(plan, cancellationToken), plan.Interactions);
        var trained = new List<TrainingSummary>();
        if (plan.Train)
        {
            foreach (var target in Enum.GetValues<PropensityTarget>())
            {
                trained.Add(await training.TrainAsync(sample, plan.AsOfEndUtc, target, cancellationToken, promote: plan.Publish));
            }
        }

        var scorers = new List<ScoringSource>();
        foreach (var target in Enum.GetValues<PropensityTarget>())
        {
            scorers.Add(await ModelInUseAsync(target, trained, plan, cancellationToken));
        }

        steps["fit.trainAndGate"] = stopwatch.Elapsed.TotalSeconds;
        steps["fit.recommendations"] = (await recommendations.FitAsync(plan, cancellationToken)).Seconds;

        var (trackingEnd, trackingNote) = TrackingCalibration(shards, plan.AsOf);
        var fit = new NightFit(ClvFit.Of(model), cutoff?.Parameters, cuts, scorers, trackingEnd, trackingNote);
        await artefacts.WriteAsync(NightlyArtefacts.Fit(plan.RunId), fit, cancellationToken);

        var run = await runs.GetAsync(plan.RunId, cancellationToken)
            ?? throw new InvalidOperationException($"Run {plan.RunId} has no run record.");
        await runs.CreateAsync(
            run with
            {
                Training = trained,
                Clv = Summarise(model, clv.HorizonMonths),
                Scorers = scorers,
                Warnings = model.Spend.Warning is { } warning ? [warning] : [],
                StepSeconds = new Dictionary<string, double>(run.StepSeconds.Concat(steps)),
            },
            cancellationToken);
        return fit;
    }

    /// <summary>
    /// The population half of stage 2, without storage: CLV fitted on every shard's columns, the segment cut-points,
    /// and the features' BG/NBD fitted on the shards' cut-off columns. <c>crm bench</c> times exactly this.
    /// </summary>
    /// <exception cref="InsufficientDataException">Too few repeat customers to fit CLV.</exception>
    public static (ClvModel Model, SegmentCuts Cuts, BetaGeoModel? Cutoff) FitPopulation(
        IReadOnlyList<SummaryColumns> clvColumns, IReadOnlyList<SummaryColumns> cutoffColumns, NightPlan plan, ClvService clv)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(clv);
        var summaries = SummaryColumns.Concat(clvColumns, plan.CalibrationEndUtc, clv.TimeUnit);
        if (summaries.RepeatCustomers < MinimumRepeatCustomers)
        {
            throw new InsufficientDataException(
                $"CLV needs at least {MinimumRepeatCustomers} customers who bought again by {plan.AsOf:yyyy-MM-dd}; there are {summaries.RepeatCustomers} of {summaries.Count}.");
        }

        var model = clv.Fit(summaries);
        var cuts = CustomerSegmenter.Cuts(summaries, clv.Score(model, summaries).Clv);
        var cutoffDay = new DateTime(plan.AsOfEndUtc.Ticks / TimeSpan.TicksPerDay * TimeSpan.TicksPerDay, DateTimeKind.Utc);
        return (model, cuts, PurchaseTable.FitCutoffModel(SummaryColumns.Concat(cutoffColumns, cutoffDay, ClvTimeUnit.Weeks)));
    }

    /// <summary>
    /// What scores a target in this run, a model version or null for the BG/NBD probabilities: when tonight's training
    /// found no model that beats BG/NBD, when the promoted model learned from days after the as-of date (a backfill must
    /// not see the future), or when it was trained on another feature layout (retrain to replace it).
    /// </summary>
    private async Task<ScoringSource> ModelInUseAsync(
        PropensityTarget target, IReadOnlyList<TrainingSummary> training, NightPlan plan, CancellationToken cancellationToken)
    {
        var name = ModelRegistry.TargetName(target);
        var trained = training.FirstOrDefault(t => t.Target == name);
        if (trained is { ScoringVersion: null })
        {
            return new ScoringSource(name, null, "BG/NBD probabilities: no model that beats the BG/NBD baseline on tonight's holdout is available.");
        }

        try
        {
            // Training already chose the version (and checked its window); a backfill's candidate is not promoted.
            if (trained is { ScoringVersion: { } chosen })
            {
                return OfLayout(await registry.LoadAsync(target, chosen, cancellationToken), plan, new ScoringSource(name, chosen, $"model {chosen}"));
            }

            if (await registry.LoadPromotedAsync(target, cancellationToken) is not { } promoted)
            {
                return new ScoringSource(name, null, "BG/NBD probabilities: no model is promoted yet.");
            }

            var windowEnd = promoted.Model.Metadata.TrainingWindowEndUtc;
            return windowEnd <= plan.AsOfEndUtc
                ? OfLayout(promoted.Model, plan, new ScoringSource(name, promoted.Version, $"model {promoted.Version}"))
                : new ScoringSource(name, null, string.Create(CultureInfo.InvariantCulture,
                    $"BG/NBD probabilities: the promoted model {promoted.Version} learned from data up to {windowEnd:yyyy-MM-dd}, after this run's as-of date; train (--train) for a model of this date."));
        }
        catch (InvalidDataException)
        {
            return new ScoringSource(name, null, "BG/NBD probabilities: the promoted model was trained on another feature layout; retrain.");
        }
    }

    /// <summary>
    /// The purchase features are always there; the interaction features only when the store had interactions at the
    /// plan (stage 3 then scores each model with its own layout). A model trained with interaction features in a run
    /// without them scores nothing: the BG/NBD probabilities stand in, with the reason.
    /// </summary>
    private static ScoringSource OfLayout(PropensityModel model, NightPlan plan, ScoringSource source)
        => model.Fits(FeatureLayout.Purchases) || (plan.Interactions && model.Fits(FeatureLayout.WithInteractions))
            ? source
            : new ScoringSource(source.Target, null, $"BG/NBD probabilities: {source.Description} was trained with interaction features this run does not have; retrain.");

    /// <summary>The tracking plot's calibration end: <see cref="HoldoutWeeks"/> before the as-of, at most half the data's span.</summary>
    private static (DateOnly? End, string? Note) TrackingCalibration(IReadOnlyList<ShardSummary> shards, DateOnly asOf)
    {
        var firstDay = shards.Min(s => s.FirstPurchaseDay ?? int.MaxValue);
        var spanWeeks = (asOf.DayNumber - firstDay) / 7;
        var holdoutWeeks = Math.Min(HoldoutWeeks, spanWeeks / 2);
        return holdoutWeeks < 1
            ? (null, $"The data spans {spanWeeks} weeks: too short to hold any back.")
            : (asOf.AddDays(-7 * holdoutWeeks), null);
    }

    private static ClvFitSummary Summarise(ClvModel model, int horizonMonths)
    {
        var purchases = model.Purchases.Parameters;
        var spend = model.Spend.Parameters;
        return new ClvFitSummary(
            purchases.R, purchases.Alpha, purchases.A, purchases.B, model.Purchases.LogLikelihood,
            spend.P, spend.Q, spend.Gamma, model.Spend.LogLikelihood,
            model.Customers, model.RepeatCustomers, model.TimeUnit.ToString(), horizonMonths);
    }
}
