using System.Diagnostics;
using System.Text.Json;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Ml.Simulation;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Serverless.Cli.Bench;

/// <summary>One stage invocation of the simulated night: its compute time and peak memory.</summary>
internal sealed record InvocationFigures(string Stage, int Customers, double Seconds, long PeakWorkingSetBytes, long PeakManagedBytes, long ArtefactBytes);

/// <summary>The child process's answer: one shard of the simulated shop through stages 1, 2 and 3.</summary>
internal sealed record NightSimCompute(int ShardCustomers, long ShardTransactions, int Shards, int SampleCustomers, bool PeakReset, IReadOnlyList<InvocationFigures> Invocations);

/// <summary>What each stage of a real night on storage cost at the calibration size (the code's own counters).</summary>
internal sealed record NightSimCalibration(int Customers, long Transactions, IReadOnlyList<StageFigures> FirstNight, IReadOnlyList<StageFigures> SteadyNight);

internal sealed record NightSimResult(int Customers, NightSimCompute Compute, NightSimCalibration Calibration, string LoadBefore, string LoadAfter);

/// <summary>
/// The night at a size this machine cannot store (10M customers), simulated: the stages' compute on one generated
/// shard of that size in a child process (stage 1's summarising from already-read rows, stage 2's population fit on
/// as many summary columns as the whole shop has and the training on a full-size sample, stage 3's scoring of the
/// shard), each invocation's peak memory measured on its own; and the stages' storage from a real night on the Table
/// service at a small size (<see cref="NightlyJob.RunWithFiguresAsync"/>'s per-stage counters, so the entity counts
/// follow whatever the stages' readers and writers do), scaled per customer. The account's limits are applied as
/// arithmetic in <see cref="NightSimArithmetic"/>.
/// </summary>
internal static class NightSimBench
{
    public static async Task<NightSimResult> RunAsync(IServiceProvider services, int customers, int calibrationCustomers, int seed, string folder, CancellationToken cancellationToken)
    {
        var loadBefore = Machine.Load();
        var calibration = await CalibrateAsync(services, calibrationCustomers, seed, folder, cancellationToken);
        var compute = await ComputeInChildAsync(customers, seed, cancellationToken);
        return new NightSimResult(customers, compute, calibration, loadBefore, Machine.Load());
    }

    /// <summary>The stages' compute for a shop of <paramref name="customers"/> (one shard of it, in a child process of its own).</summary>
    public static async Task<NightSimCompute> ComputeInChildAsync(int customers, int seed, CancellationToken cancellationToken)
    {
        var shardCustomers = Math.Max(1, customers / CrmKeys.ShardCount);
        var sample = Math.Min(shardCustomers, new NightlyOptions().SampleCustomersPerShard);
        var (json, _) = await Machine.RunCrmAsync(
            ["bench", "night-sim", "--shard-customers", Invariant(shardCustomers), "--sample-per-shard", Invariant(sample), "--seed", Invariant(seed)], cancellationToken);
        return JsonSerializer.Deserialize<NightSimCompute>(json)!;
    }

    /// <summary>A generated shop imported as <c>crm import</c> does, then two nights: the first (every customer new) and a second with nothing changed.</summary>
    private static async Task<NightSimCalibration> CalibrateAsync(IServiceProvider services, int customers, int seed, string folder, CancellationToken cancellationToken)
    {
        var file = new FileInfo(Path.Combine(folder, "night-sim-calibration.csv"));
        var (transactions, _) = await Commands.GenerateCommand.WriteAsync(ComputeBench.Shop(customers, seed), file, null, cancellationToken);
        var report = await services.GetRequiredService<ImportService>().ImportAsync(new ImportRequest(file.FullName), null, cancellationToken);
        if (report.Rejections.Count > 0)
        {
            throw new InvalidOperationException($"The generated shop had {report.Rejections.Count} rejected rows: {report.Rejections[0].Reason}");
        }

        var nightly = services.GetRequiredService<NightlyJob>();
        var first = await nightly.RunWithFiguresAsync(asOf: null, train: true, parallelism: 4, publish: false, cancellationToken);
        var steady = await nightly.RunWithFiguresAsync(asOf: first.Run.AsOf, train: true, parallelism: 4, publish: false, cancellationToken);
        return new NightSimCalibration(customers, transactions, first.Stages, steady.Stages);
    }

    /// <summary>
    /// The child process: one shard of <paramref name="shardCustomers"/> through the stages' compute, each invocation
    /// measured from a reset peak, artefacts handed on as files (as the blobs would be) so no invocation holds another's data.
    /// </summary>
    public static NightSimCompute Compute(IServiceProvider services, int shardCustomers, int samplePerShard, int seed)
    {
        var clv = services.GetRequiredService<ClvService>();
        var scorer = services.GetRequiredService<ScoreShard>();
        var trainer = services.GetRequiredService<PropensityTrainer>();
        var folder = Directory.CreateTempSubdirectory("crm-night-sim-").FullName;
        var invocations = new List<InvocationFigures>();
        var shards = CrmKeys.ShardCount;
        var peakReset = Machine.ResetPeak();
        try
        {
            // Stage 1: the shard's rows as the reader hands them over (generated, outside the clock), then its summarising.
            NightPlan plan;
            long transactions;
            using (var window = new PeakWindow())
            {
                var histories = Generate(ComputeBench.Shop(shardCustomers, seed));
                transactions = histories.Sum(h => (long)h.Purchases.Count);
                plan = new NightPlan("night-sim", DateOnly.FromDateTime(histories.Max(h => h.Purchases[^1].TimestampUtc)), Train: true, Backfill: false, Publish: false, shards);
                var clock = Stopwatch.StartNew();
                var summary = new SimShard(
                    SummariseShard.Clv(histories, plan, clv),
                    SummaryColumns.Of(PurchaseTable.From(histories).CutoffSummaries(plan.AsOfEndUtc)),
                    CompactHistories.From([.. histories.Take(samplePerShard)]));
                var bytes = Write(folder, "summary", summary) + Write(folder, "histories", CompactHistories.From(histories));
                invocations.Add(window.Figures("1 summarise shard", histories.Count, clock.Elapsed.TotalSeconds, bytes));
            }

            // Stage 2: every shard's summary (this shard's, once per shard) and a sample as large as the whole shop's.
            NightFit fit;
            PropensityModel churn, purchase;
            Collect();
            using (var window = new PeakWindow())
            {
                var clock = Stopwatch.StartNew();
                var summary = Read<SimShard>(folder, "summary");
                var (model, cuts, cutoff) = FitModels.FitPopulation([.. Enumerable.Repeat(summary.Clv, shards)], [.. Enumerable.Repeat(summary.Cutoff, shards)], plan, clv);
                var generating = Stopwatch.StartNew();
                var sample = Generate(ComputeBench.Shop(samplePerShard * shards, seed + 1));
                var generated = generating.Elapsed.TotalSeconds;
                var table = PurchaseTable.From(sample);
                churn = trainer.Train(table, plan.AsOfEndUtc, PropensityTarget.Churn);
                purchase = trainer.Train(table, plan.AsOfEndUtc, PropensityTarget.Purchase);
                var source = new ScoringSource(ModelRegistry.TargetName(PropensityTarget.Churn), "night-sim", "night-sim");
                fit = new NightFit(ClvFit.Of(model), cutoff?.Parameters, cuts, [source, source with { Target = ModelRegistry.TargetName(PropensityTarget.Purchase) }], null, null);
                var bytes = Write(folder, "fit", fit);
                invocations.Add(window.Figures("2 fit models", shardCustomers * shards, clock.Elapsed.TotalSeconds - generated, bytes));
            }

            // Stage 3: the shard's histories from stage 1's artefact, scored with stage 2's fit and models.
            Collect();
            using (var window = new PeakWindow())
            {
                var clock = Stopwatch.StartNew();
                var histories = Read<CompactHistories>(folder, "histories").ToHistories();
                var scores = scorer.Score(histories, plan, fit, churn, purchase);
                var bytes = Write(folder, "scored", scores.Select(s => s.Clv).ToArray());
                invocations.Add(window.Figures("3 score shard", scores.Length, clock.Elapsed.TotalSeconds, bytes));
            }

            return new NightSimCompute(shardCustomers, transactions, shards, samplePerShard * shards, peakReset, invocations);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static List<CustomerHistory> Generate(ShopSimulationOptions shop) => [.. ShopSimulator.Simulate(shop).Select(c => c.History)];

    private static void Collect()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }

    private static long Write<T>(string folder, string name, T value)
    {
        var path = Path.Combine(folder, name + ".json");
        File.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(value, Json));
        return new FileInfo(path).Length;
    }

    private static T Read<T>(string folder, string name) => JsonSerializer.Deserialize<T>(File.ReadAllBytes(Path.Combine(folder, name + ".json")), Json)!;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Stage 1's summary artefact as the bench needs it: the two column sets and the training sample.</summary>
    private sealed record SimShard(SummaryColumns Clv, SummaryColumns Cutoff, CompactHistories Sample);

    /// <summary>
    /// Peak memory from its start: the kernel's resident-set high-water mark reset (where Linux allows it; else only the
    /// samples count), and the resident set and managed heap sampled every 10 ms, so each invocation's peak is its own.
    /// </summary>
    private sealed class PeakWindow : IDisposable
    {
        private readonly Timer _timer;
        private readonly bool _reset;
        private long _workingSet;
        private long _managed;

        public PeakWindow()
        {
            _reset = Machine.ResetPeak();
            _timer = new Timer(_ => Sample(), null, 0, 10);
        }

        public InvocationFigures Figures(string stage, int customers, double seconds, long artefactBytes)
        {
            Sample();
            return new InvocationFigures(stage, customers, seconds, _reset ? Math.Max(Interlocked.Read(ref _workingSet), Machine.PeakWorkingSetBytes()) : Interlocked.Read(ref _workingSet), Interlocked.Read(ref _managed), artefactBytes);
        }

        public void Dispose() => _timer.Dispose();

        private void Sample()
        {
            Max(ref _workingSet, Environment.WorkingSet);
            Max(ref _managed, GC.GetTotalMemory(forceFullCollection: false));
        }

        private static void Max(ref long peak, long value)
        {
            long seen;
            while ((seen = Interlocked.Read(ref peak)) < value && Interlocked.CompareExchange(ref peak, value, seen) != seen)
            {
            }
        }
    }
}

/// <summary>
/// The account's limits as arithmetic (published scalability targets of one storage account): 20,000 entities/s per
/// account and 2,000 per partition. An instance runs one invocation at a time; an invocation reads, computes and
/// writes in turn, its storage at most one partition's rate, and all running invocations together at most the
/// account's. So with I instances a stage of n invocations runs ceil(n / I) waves of
/// compute + entities / min(2,000, 20,000 / min(I, n)) seconds each.
/// </summary>
internal static class NightSimArithmetic
{
    public const double AccountEntitiesPerSecond = 20_000;
    public const double PartitionEntitiesPerSecond = 2_000;

    public static double StageSeconds(int invocations, int instances, double computeSeconds, double entitiesPerInvocation)
    {
        if (invocations <= 0)
        {
            return 0;
        }

        var running = Math.Min(instances, invocations);
        var rate = Math.Min(PartitionEntitiesPerSecond, AccountEntitiesPerSecond / running);
        var waves = (invocations + instances - 1) / instances;
        return waves * (computeSeconds + (entitiesPerInvocation / rate));
    }

    /// <summary>The floor: every customer's summary read once and score written once at the account's rate.</summary>
    public static double FloorSeconds(long customers) => 2.0 * customers / AccountEntitiesPerSecond;
}
