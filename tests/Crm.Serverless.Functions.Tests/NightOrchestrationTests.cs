using System.Collections.Concurrent;
using Azure.Data.Tables;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Functions.Orchestration;
using Crm.Serverless.Testing;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Functions.Tests;

/// <summary>
/// The nightly orchestration on Durable Task's in-process test host (an in-memory backend in place of the Functions
/// host's), its activities the app's <see cref="NightActivities"/> on Azurite. A fault can be injected per activity and
/// shard, in front of the real activity, to see what the retry policy and a stalled run do.
/// </summary>
[Collection(AzuriteCollection.Name)]
public class NightOrchestrationTests(AzuriteFixture azurite)
{
    private const int Attempts = 3;

    private static readonly LogCapture Logs = new();

    /// <summary>Decides whether an attempt fails (activity, shard, attempt number from 1), and counts the attempts.</summary>
    private sealed class Faults(Func<string, int, int, bool> fails)
    {
        public ConcurrentDictionary<(string Activity, int Shard), int> Attempts { get; } = new();

        public void Before(string activity, int shard)
        {
            var attempt = Attempts.AddOrUpdate((activity, shard), 1, (_, n) => n + 1);
            if (fails(activity, shard, attempt))
            {
                throw new InvalidOperationException($"Injected failure of {activity} shard {shard}, attempt {attempt}.");
            }
        }
    }

    private sealed class Step<TInput, TOutput>(Func<TInput, Task<TOutput>> run) : TaskActivity<TInput, TOutput>
    {
        public override Task<TOutput> RunAsync(TaskActivityContext context, TInput input) => run(input);
    }

    private async Task<TestHost> StartAsync(Faults faults)
        => await azurite.StartHostAsync(
            builder =>
            {
                // Warnings and errors only: kept to explain a hang, if the guard in WaitAsync fires.
                builder.Logging.SetMinimumLevel(LogLevel.Warning).AddProvider(Logs);
                builder.AddCrmFunctions();
                builder.Services.AddInMemoryDurableTask(tasks =>
                {
                    tasks.AddOrchestratorFunc<NightStart, NightOutcome>(NightOrchestration.Name, (context, _) => NightOrchestration.RunAsync(context));
                    tasks.AddActivity(NightActivities.Plan, sp => new Step<NightStart, NightPlanned>(start => Activities(sp).PlanAsync(start, CancellationToken.None)));
                    Stage(tasks, faults, NightActivities.SummariseShard, (a, s) => a.SummariseShardAsync(s, CancellationToken.None));
                    Stage(tasks, faults, NightActivities.FitModels, (a, s) => a.FitModelsAsync(s, CancellationToken.None));
                    Stage(tasks, faults, NightActivities.ScoreShard, (a, s) => a.ScoreShardAsync(s, CancellationToken.None));
                    Stage(tasks, faults, NightActivities.WriteRunArtefacts, (a, s) => a.WriteRunArtefactsAsync(s, CancellationToken.None));
                    Stage(tasks, faults, NightActivities.CompleteRun, (a, s) => a.CompleteRunAsync(s, CancellationToken.None));
                    tasks.AddActivity(NightActivities.MarkStalled, sp => new Step<NightStall, bool>(stall => Activities(sp).MarkStalledAsync(stall, CancellationToken.None)));
                });
            },
            new Dictionary<string, string?> { ["Nightly:ActivityAttempts"] = Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture), ["Nightly:ActivityRetrySeconds"] = "1" });

    private static NightActivities Activities(IServiceProvider services) => ActivatorUtilities.CreateInstance<NightActivities>(services);

    private static void Stage(DurableTaskRegistry tasks, Faults faults, string name, Func<NightActivities, NightShard, Task<StageDone>> run)
        => tasks.AddActivity(name, sp => new Step<NightShard, StageDone>(shard =>
        {
            faults.Before(name, shard.Shard);
            return run(Activities(sp), shard);
        }));

    private static async Task<OrchestrationMetadata> StartAndWaitAsync(TestHost host)
    {
        var client = host.Get<DurableTaskClient>();
        Assert.True(await host.Get<NightStarter>().StartAsync(client, SeededShop.EndOfData, CancellationToken.None));
        return await WaitAsync(client);
    }

    private static async Task<OrchestrationMetadata> WaitAsync(DurableTaskClient client)
    {
        // A guard against a hang, not a speed assertion.
        // The in-memory backend runs two activities at a time (one per core), so a night of 135 activities takes minutes.
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        try
        {
            return await client.WaitForInstanceCompletionAsync(NightOrchestration.InstanceId, getInputsAndOutputs: true, guard.Token);
        }
        catch (OperationCanceledException exception)
        {
            throw new TimeoutException(string.Join(Environment.NewLine, Logs.Lines.TakeLast(40)), exception);
        }
    }

    private static void AssertCompleted(OrchestrationMetadata instance)
        => Assert.True(
            instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed,
            $"{instance.RuntimeStatus}: {instance.FailureDetails?.ErrorType} {instance.FailureDetails?.ErrorMessage} {instance.FailureDetails?.StackTrace}");

    private static async Task<List<string>> RunIdsAsync(TestHost host)
    {
        var ids = new List<string>();
        await foreach (var row in host.Get<CrmTables>().Runs.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {"runs"}")))
        {
            ids.Add(row.RowKey);
        }

        return ids;
    }

    private static async Task AssertEveryCustomerScoredOnceAsync(TestHost host, string runId, int customers)
    {
        var run = (await host.Get<RunStore>().GetAsync(runId, CancellationToken.None))!;
        Assert.Equal(RunStatus.Complete, run.Status);
        Assert.Equal(customers, run.Customers);
        var scores = await StorageRecount.RunScoresAsync(host.Get<CrmTables>(), runId);
        Assert.Equal(customers, scores.Count);
        Assert.Equal(customers, scores.Select(s => s.CustomerId).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(runId, await host.Get<RunStore>().GetCurrentRunIdAsync(CancellationToken.None));
    }

    [Fact]
    public async Task TwoStarts_GiveOneNight_WhoseStageThreeActivityFailingOnceIsRetried_AndEveryCustomerIsScoredOnce()
    {
        // One night on the in-memory backend takes minutes here, so one test covers the three: singleton start,
        // fan-out/fan-in of every stage, and the retry policy.
        const int shard = 5;
        var faults = new Faults((activity, s, attempt) => activity == NightActivities.ScoreShard && s == shard && attempt == 1);
        await using var host = await StartAsync(faults);
        var customers = await SeededShop.StoreAsync(host, 600, seed: 3);
        var client = host.Get<DurableTaskClient>();
        var starter = host.Get<NightStarter>();

        // Two timer firings at once (two instances of the app).
        var started = await Task.WhenAll(
            starter.StartAsync(client, SeededShop.EndOfData, CancellationToken.None),
            starter.StartAsync(client, SeededShop.EndOfData, CancellationToken.None));
        var instance = await WaitAsync(client);

        Assert.Single(started, s => s);
        AssertCompleted(instance);
        var outcome = instance.ReadOutputAs<NightOutcome>()!;
        Assert.Equal(NightOutcome.Complete, outcome.Status);
        Assert.Equal(customers, outcome.Customers);
        Assert.Equal(outcome.RunId, Assert.Single(await RunIdsAsync(host)));
        await AssertEveryCustomerScoredOnceAsync(host, outcome.RunId!, customers);

        // Fan-out over every shard for stages 1 and 3, once for 2, 4 and 5; the failed attempt retried, nothing else twice.
        Assert.Equal(CrmKeys.ShardCount, faults.Attempts.Keys.Count(k => k.Activity == NightActivities.SummariseShard));
        Assert.Equal(CrmKeys.ShardCount, faults.Attempts.Keys.Count(k => k.Activity == NightActivities.ScoreShard));
        Assert.Equal((2 * CrmKeys.ShardCount) + 3, faults.Attempts.Count);
        Assert.Equal(2, faults.Attempts[(NightActivities.ScoreShard, shard)]);
        Assert.All(faults.Attempts.Where(a => a.Key != (NightActivities.ScoreShard, shard)), a => Assert.Equal(1, a.Value));
        var listing = Assert.Single(await host.Get<NightlyJob>().ListAsync(5, CancellationToken.None));
        Assert.Null(listing.Progress.Current);
        Assert.False(listing.Stalled);
    }

    [Fact]
    public async Task PermanentlyFailingShard_LeavesTheRunStalledInStageThree_AndResumeCompletesIt()
    {
        const int shard = 7;
        var faults = new Faults((activity, s, _) => activity == NightActivities.ScoreShard && s == shard);
        await using var host = await StartAsync(faults);
        var customers = await SeededShop.StoreAsync(host, 600, seed: 3);
        var job = host.Get<NightlyJob>();

        var instance = await StartAndWaitAsync(host);

        // The orchestration failed after its attempts; the run says where it stopped, stalled at once (not an hour later).
        Assert.Equal(OrchestrationRuntimeStatus.Failed, instance.RuntimeStatus);
        Assert.Equal(Attempts, faults.Attempts[(NightActivities.ScoreShard, shard)]);
        var runId = Assert.Single(await RunIdsAsync(host));
        var listing = Assert.Single(await job.ListAsync(5, CancellationToken.None));
        Assert.True(listing.Stalled);
        Assert.Equal(RunStatus.Scoring, listing.Run.Status);
        Assert.Equal(NightStage.ScoreShard, listing.Progress.Current);
        Assert.Equal(NightStage.ScoreShard, listing.Progress.StalledIn);
        Assert.Equal(CrmKeys.ShardCount - 1, listing.Progress.DoneCount(NightStage.ScoreShard));
        Assert.Null(await host.Get<RunStore>().GetCurrentRunIdAsync(CancellationToken.None));

        // `crm runs resume` runs the one missing shard and the last two stages in process.
        var resumed = await job.ResumeAsync(runId, parallelism: 4, CancellationToken.None);

        Assert.Equal(1, resumed.Stages.Single(s => s.Stage == NightStage.ScoreShard).Invocations);
        Assert.Equal(0, resumed.Stages.Single(s => s.Stage == NightStage.SummariseShard).Invocations);
        await AssertEveryCustomerScoredOnceAsync(host, runId, customers);
        Assert.False(Assert.Single(await job.ListAsync(5, CancellationToken.None)).Stalled);
    }
}
