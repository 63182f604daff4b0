using Crm.Serverless.Cli.Commands;
using Crm.Serverless.Ml.Simulation;

namespace Crm.Serverless.Cli.Bench;

internal sealed record ClvResult(int Customers, long Transactions, IReadOnlyList<double> Seconds, string LoadBefore, string LoadAfter)
{
    public double Best => Seconds.Min();

    public double Median => Seconds.Order().ElementAt(Seconds.Count / 2);
}

/// <summary><c>crm clv fit</c> as a user runs it: a whole process, start-up, CSV reading and fit included.</summary>
internal static class ClvBench
{
    public const string CalibrationEnd = "1999-06-30";
    public const int Runs = 3;

    /// <summary>The file the issue names: <c>crm generate --customers 200000 --seed 1 --weeks 156 --rate-shape 0.5</c>.</summary>
    public static ShopSimulationOptions Shop(int customers) => new() { Customers = customers, Seed = 1, ObservationWeeks = 156, R = 0.5 };

    public static async Task<ClvResult> RunAsync(int customers, string folder, CancellationToken cancellationToken)
    {
        var file = new FileInfo(Path.Combine(folder, "clv-shop.csv"));
        var (transactions, _) = await GenerateCommand.WriteAsync(Shop(customers), file, null, cancellationToken);
        var load = Machine.Load();
        var seconds = new List<double>();
        for (var run = 0; run < Runs; run++)
        {
            var (_, elapsed) = await Machine.RunCrmAsync(["clv", "fit", "--transactions", file.FullName, "--calibration-end", CalibrationEnd], cancellationToken);
            seconds.Add(elapsed.TotalSeconds);
        }

        return new ClvResult(customers, transactions, seconds, load, Machine.Load());
    }
}
