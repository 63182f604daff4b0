using System.CommandLine;
using System.Globalization;
using Crm.Serverless.Core.Nightly;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Serverless.Cli.Commands;

/// <summary><c>crm runs list</c> (runs and how far each stage got) and <c>crm runs resume RUN</c> (finish a stalled night).</summary>
internal static class RunsCommand
{
    public static Command Create()
    {
        var list = new Command("list", "List the latest runs: as-of, status, stage, shards done per stage, published or backfill.");
        list.SetAction(async (parse, cancellationToken) =>
        {
            using var host = CliHost.Build();
            await host.StartAsync(cancellationToken);
            var runs = await host.Services.GetRequiredService<NightlyJob>().ListAsync(20, cancellationToken);
            Console.WriteLine($"  {"run",-20} {"as of",10} {"status",-10} {"stage",5} {"1 shards",8} {"2",2} {"3 shards",8} {"4",2} {"5",2}  kind");
            foreach (var listing in runs)
            {
                var run = listing.Run;
                var progress = listing.Progress;
                var status = listing.Stalled ? "Stalled" : run.Status;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {run.RunId,-20} {run.AsOf:yyyy-MM-dd} {status,-10} {(progress.Current is { } stage ? ((int)stage).ToString(CultureInfo.InvariantCulture) : "done"),5} {Done(progress, NightStage.SummariseShard),8} {progress.DoneCount(NightStage.FitModels),2} {Done(progress, NightStage.ScoreShard),8} {progress.DoneCount(NightStage.RunArtefacts),2} {progress.DoneCount(NightStage.CompleteRun),2}  {(run.Backfill ? "backfill" : "nightly")}{(run.Published ? ", published" : ", not published")}"));
            }

            return 0;
        });

        var runId = new Argument<string>("run") { Description = "The run id (crm runs list)" };
        var resume = new Command("resume", "Run only the stages and shards a stalled run is missing, then complete it.") { runId };
        resume.SetAction(async (parse, cancellationToken) =>
        {
            using var host = CliHost.Build();
            await host.StartAsync(cancellationToken);
            try
            {
                var result = await host.Services.GetRequiredService<NightlyJob>().ResumeAsync(parse.GetValue(runId)!, parallelism: 4, cancellationToken);
                Console.WriteLine($"Run {result.Run.RunId} as of {result.Run.AsOf:yyyy-MM-dd}: {result.Run.Customers:N0} customers, status {result.Run.Status}");
                TrainCommand.PrintStages(result.Stages);
                return 0;
            }
            catch (KeyNotFoundException exception)
            {
                Console.Error.WriteLine(exception.Message);
                return 1;
            }
        });

        return new Command("runs", "Nightly runs: list them, resume a stalled one.") { list, resume };
    }

    private static string Done(NightStatus progress, NightStage stage) => $"{progress.DoneCount(stage)}/{progress.Shards}";
}
