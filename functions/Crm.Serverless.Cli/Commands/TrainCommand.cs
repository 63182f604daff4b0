using System.CommandLine;
using System.Globalization;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Ml.Propensity;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Serverless.Cli.Commands;

/// <summary>
/// <c>crm train</c> (train, evaluate, register, gate) and <c>crm score</c> / <c>crm nightly</c> (the nightly run:
/// train unless told not to, then score, CLV, segments, written shard by shard).
/// </summary>
internal static class TrainCommand
{
    public static Command CreateTrain()
    {
        var asOf = DateOption.Create();
        var command = new Command("train", "Train the churn and purchase models, evaluate them on the holdout, register and gate them.") { asOf };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var host = CliHost.Build();
            await host.StartAsync(cancellationToken);
            var training = await host.Services.GetRequiredService<NightlyJob>().TrainAsync(parse.GetValue(asOf), cancellationToken);
            PrintTraining(training);
            return 0;
        });
        return command;
    }

    public static Command CreateScore()
    {
        var asOf = DateOption.Create();
        var train = new Option<bool>("--train") { Description = "Retrain (and gate) the models before scoring, as the nightly run does" };
        var publish = new Option<bool>("--publish") { Description = "Let a backfill (--as-of before the current run's) replace the live scores and become the current run" };
        var command = new Command("score", "Score every customer: churn and purchase probabilities, CLV, RFM segments; written shard by shard.") { asOf, train, publish };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var host = CliHost.Build();
            await host.StartAsync(cancellationToken);
            await RunAsync(host.Services, parse.GetValue(asOf), parse.GetValue(train), cancellationToken, parse.GetValue(publish));
            return 0;
        });
        return command;
    }

    public static async Task<RunRecord> RunAsync(IServiceProvider services, DateOnly? asOf, bool train, CancellationToken cancellationToken, bool publish = false)
    {
        var result = await services.GetRequiredService<NightlyJob>().RunWithFiguresAsync(asOf, train, parallelism: 4, publish, cancellationToken);
        var run = result.Run;
        Console.WriteLine($"Run {run.RunId} as of {run.AsOf:yyyy-MM-dd}: {run.Customers:N0} customers scored, status {run.Status}");
        PrintStages(result.Stages);
        if (run.Backfill)
        {
            Console.WriteLine(run.Published
                ? "Backfill, published: it is now the current run that readers see."
                : "Backfill, not published: the current run is untouched; its scores, run record and report are kept. --publish to make it the current run.");
        }
        if (train)
        {
            PrintTraining(run.Training);
        }

        foreach (var source in run.Scorers ?? [])
        {
            Console.WriteLine($"{source.Target} probabilities: {source.Description}");
        }

        foreach (var warning in run.Warnings ?? [])
        {
            Console.WriteLine("Warning: " + warning);
        }

        var clv = run.Clv;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"CLV (BG/NBD + Gamma-Gamma, {clv.TimeUnit}, {clv.HorizonMonths} months): r={clv.R:0.000} alpha={clv.Alpha:0.000} a={clv.A:0.000} b={clv.B:0.000} LL={clv.BgnbdLogLikelihood:0.0}; p={clv.P:0.00} q={clv.Q:0.00} gamma={clv.Gamma:0.00}; {clv.Customers:N0} customers, {clv.RepeatCustomers:N0} repeat"));
        Console.WriteLine("Segments:");
        Console.WriteLine($"  {"segment",-22} {"customers",10} {"mean CLV",10} {"mean churn",11}");
        foreach (var segment in run.Segments)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {segment.Name,-22} {segment.Customers,10:N0} {segment.MeanClv,10:0.00} {(segment.MeanChurnProbability is { } churn ? churn.ToString("0.000", CultureInfo.InvariantCulture) : "-"),11}"));
        }

        Console.WriteLine("Timings: " + string.Join(", ", run.StepSeconds.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key} {s.Value:0.0} s"))));
        return run;
    }

    /// <summary>Per stage, as <c>crm import</c> prints its totals: storage requests and entities read and written.</summary>
    public static void PrintStages(IEnumerable<StageFigures> stages)
    {
        long requests = 0, read = 0, written = 0;
        foreach (var stage in stages)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  stage {(int)stage.Stage} {stage.Stage,-15} {stage.Invocations,3} invocations {stage.Seconds,7:0.0} s {stage.Requests,9:N0} storage requests {stage.EntitiesRead,11:N0} entities read {stage.EntitiesWritten,11:N0} written"));
            (requests, read, written) = (requests + stage.Requests, read + stage.EntitiesRead, written + stage.EntitiesWritten);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {requests:N0} storage requests, {read:N0} entities read, {written:N0} entities written"));
    }

    public static void PrintTraining(IEnumerable<TrainingSummary> training)
    {
        foreach (var model in training)
        {
            Console.WriteLine($"Model {model.Target}: {model.Version ?? "(none)"} - {(model.Promoted ? "promoted" : "not promoted")}: {model.Decision}");
            foreach (var note in model.Notes ?? [])
            {
                Console.WriteLine("  " + note);
            }

            Console.WriteLine(model.ScoringVersion is { } scoring
                ? $"  scores come from model {scoring}"
                : "  scores come from the BG/NBD model: no trained model beats it on the holdout");
            if (model.Holdout is not { } holdout)
            {
                continue;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  holdout cut-off {holdout.HoldoutCutoffUtc:yyyy-MM-dd}, {holdout.Rows:N0} customers, positive rate {holdout.PositiveRate:0.000}"));
            Console.WriteLine($"  {"",-20} {"AUC",7} {"PR-AUC",7} {"logloss",8} {"Brier",7} {"ECE",7} {"lift@10",8} {"capture",8}");
            Print("model", holdout.Model);
            Print("recency baseline", holdout.RecencyBaseline);
            Print("frequency baseline", holdout.FrequencyBaseline);
            if (holdout.BetaGeoBaseline is { } betaGeo)
            {
                Print("BG/NBD baseline", betaGeo);
            }

            if (holdout.Active is { } active)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  active in the year before the cut-off: {active.Rows:N0} customers, positive rate {active.PositiveRate:0.000}"));
                Print("model", active.Model);
                Print("recency baseline", active.RecencyBaseline);
                Print("frequency baseline", active.FrequencyBaseline);
                Print("BG/NBD baseline", active.BetaGeoBaseline);
            }
        }

        static void Print(string name, BinaryMetrics m) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {name,-20} {m.Auc,7:0.000} {m.AveragePrecision,7:0.000} {m.LogLoss,8:0.000} {m.Brier,7:0.000} {m.ExpectedCalibrationError,7:0.000} {m.TopDecileLift,8:0.00} {m.TopDecileCapture,8:0.000}"));
    }
}
