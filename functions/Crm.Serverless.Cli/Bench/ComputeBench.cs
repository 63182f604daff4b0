using System.Diagnostics;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Ml.Simulation;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Serverless.Cli.Bench;

/// <summary>One compute run, as the child process reports it.</summary>
internal sealed record ComputeResult(
    int Customers,
    long Transactions,
    double GenerateSeconds,
    double PipelineSeconds,
    Dictionary<string, double> StepSeconds,
    double ChurnAuc,
    double PurchaseAuc,
    int Scored,
    long PeakWorkingSetBytes,
    long DataBytes,
    Dictionary<string, long> PeakAfterStepBytes);

/// <summary>
/// The nightly stages' compute on a simulated shop held in memory, minus storage: both models trained and evaluated
/// on their holdout, then the stages' own calls on generated shard data: per shard the summary columns
/// (<see cref="SummariseShard.Clv"/>, cut-off columns), once the population fit (<see cref="FitModels.FitPopulation"/>),
/// per shard the scoring (<see cref="ScoreShard.Score"/>). Steps "stage1Max"/"stage3Max" are the slowest shard
/// invocation. Runs in a child process so its peak working set is its own and not the bench's.
/// </summary>
internal static class ComputeBench
{
    /// <summary>The generator settings for the headline run: about ten purchases per customer over three years.</summary>
    public static ShopSimulationOptions Shop(int customers, int seed) => new() { Customers = customers, Seed = seed, ObservationWeeks = 156, R = 1.3 };

    public static ComputeResult Run(IServiceProvider services, int customers, int seed)
    {
        var stopwatch = Stopwatch.StartNew();
        var histories = new List<CustomerHistory>(customers);
        long transactions = 0;
        foreach (var customer in ShopSimulator.Simulate(Shop(customers, seed)))
        {
            histories.Add(customer.History);
            transactions += customer.History.Purchases.Count;
        }

        var generateSeconds = stopwatch.Elapsed.TotalSeconds;
        GC.Collect();
        var dataBytes = GC.GetTotalMemory(forceFullCollection: true);
        var peaks = new Dictionary<string, long> { ["data"] = Machine.PeakWorkingSetBytes() };

        // As in NightlyJob: the run is as of the latest purchase day, histories in customer-id order.
        stopwatch.Restart();
        var steps = new Dictionary<string, double>();
        var step = Stopwatch.StartNew();
        var asOf = DateOnly.FromDateTime(histories.Max(h => h.Purchases[^1].TimestampUtc));
        var table = PurchaseTable.From(histories);
        steps["purchaseTable"] = step.Elapsed.TotalSeconds;
        peaks["purchaseTable"] = Machine.PeakWorkingSetBytes();

        var trainer = services.GetRequiredService<PropensityTrainer>();
        step.Restart();
        var churn = trainer.Train(table, NightPlan.AsOfEnd(asOf), PropensityTarget.Churn);
        steps["trainChurn"] = step.Elapsed.TotalSeconds;
        peaks["trainChurn"] = Machine.PeakWorkingSetBytes();
        step.Restart();
        var purchase = trainer.Train(table, NightPlan.AsOfEnd(asOf), PropensityTarget.Purchase);
        steps["trainPurchase"] = step.Elapsed.TotalSeconds;
        peaks["trainPurchase"] = Machine.PeakWorkingSetBytes();

        var scores = RunStages(services, histories, asOf, churn, purchase, steps, peaks);
        var pipelineSeconds = stopwatch.Elapsed.TotalSeconds;

        return new ComputeResult(
            customers,
            transactions,
            generateSeconds,
            pipelineSeconds,
            steps,
            churn.Metadata.Holdout.Model.Auc,
            purchase.Metadata.Holdout.Model.Auc,
            scores,
            Machine.PeakWorkingSetBytes(),
            dataBytes,
            peaks);
    }

    /// <summary>Stages 1 to 3 of a night on in-memory shards (stage 1's table read and stage 3's writes are storage, counted by the storage bench).</summary>
    private static int RunStages(
        IServiceProvider services, List<CustomerHistory> histories, DateOnly asOf, PropensityModel churn, PropensityModel purchase,
        Dictionary<string, double> steps, Dictionary<string, long> peaks)
    {
        var clv = services.GetRequiredService<ClvService>();
        var scorer = services.GetRequiredService<ScoreShard>();
        var plan = new NightPlan("bench", asOf, Train: false, Backfill: false, Publish: false, CrmKeys.ShardCount);
        var shards = histories.GroupBy(h => CrmKeys.ShardOf(h.CustomerId)).OrderBy(g => g.Key).Select(g => g.ToList()).ToList();
        var step = Stopwatch.StartNew();
        var clvColumns = new List<SummaryColumns>();
        var cutoffColumns = new List<SummaryColumns>();
        double slowest = 0;
        foreach (var shard in shards)
        {
            var one = Stopwatch.StartNew();
            clvColumns.Add(SummariseShard.Clv(shard, plan, clv));
            cutoffColumns.Add(SummaryColumns.Of(PurchaseTable.From(shard).CutoffSummaries(plan.AsOfEndUtc)));
            slowest = Math.Max(slowest, one.Elapsed.TotalSeconds);
        }

        steps["stage1"] = step.Elapsed.TotalSeconds;
        steps["stage1Max"] = slowest;
        peaks["stage1"] = Machine.PeakWorkingSetBytes();
        step.Restart();
        var (model, cuts, cutoff) = FitModels.FitPopulation(clvColumns, cutoffColumns, plan, clv);
        var bench = new ScoringSource(ModelRegistry.TargetName(PropensityTarget.Churn), "bench", "bench");
        var fit = new NightFit(
            ClvFit.Of(model), cutoff?.Parameters, cuts,
            [bench, bench with { Target = ModelRegistry.TargetName(PropensityTarget.Purchase) }], null, null);
        steps["stage2"] = step.Elapsed.TotalSeconds;
        peaks["stage2"] = Machine.PeakWorkingSetBytes();
        step.Restart();
        slowest = 0;
        var scored = 0;
        foreach (var shard in shards)
        {
            var one = Stopwatch.StartNew();
            scored += scorer.Score(shard, plan, fit, churn, purchase).Length;
            slowest = Math.Max(slowest, one.Elapsed.TotalSeconds);
        }

        steps["stage3"] = step.Elapsed.TotalSeconds;
        steps["stage3Max"] = slowest;
        peaks["stage3"] = Machine.PeakWorkingSetBytes();
        return scored;
    }
}
