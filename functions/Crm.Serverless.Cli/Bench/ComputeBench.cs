using System.Diagnostics;
using Crm.Serverless.Core.Scoring;
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
/// The nightly run's compute half on a simulated shop held in memory: the calls <see cref="NightlyJob"/> and
/// <see cref="ScoringRunService"/> make (purchase table, both models trained and evaluated on their holdout,
/// CLV fitted, everyone scored and segmented), minus storage. Runs in a child process so its peak working set is
/// its own and not the bench's.
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
        var churn = trainer.Train(table, ScoringRunService.AsOfEnd(asOf), PropensityTarget.Churn);
        steps["trainChurn"] = step.Elapsed.TotalSeconds;
        peaks["trainChurn"] = Machine.PeakWorkingSetBytes();
        step.Restart();
        var purchase = trainer.Train(table, ScoringRunService.AsOfEnd(asOf), PropensityTarget.Purchase);
        steps["trainPurchase"] = step.Elapsed.TotalSeconds;
        peaks["trainPurchase"] = Machine.PeakWorkingSetBytes();

        var (scores, _) = services.GetRequiredService<ScoringRunService>().Score(histories, table, asOf, "bench", churn, purchase, "bench", "bench", steps);
        var pipelineSeconds = stopwatch.Elapsed.TotalSeconds;

        return new ComputeResult(
            customers,
            transactions,
            generateSeconds,
            pipelineSeconds,
            steps,
            churn.Metadata.Holdout.Model.Auc,
            purchase.Metadata.Holdout.Model.Auc,
            scores.Length,
            Machine.PeakWorkingSetBytes(),
            dataBytes,
            peaks);
    }
}
