using Crm.Serverless.Core.Nightly;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Functions.Orchestration;

/// <summary>What the timer asks for: a night as of <paramref name="AsOf"/>, and how hard to retry each activity.</summary>
public sealed record NightStart(DateOnly AsOf, int Attempts, int FirstRetrySeconds);

/// <summary>One activity's work: a shard of a run (0 for a once-stage).</summary>
public sealed record NightShard(string RunId, int Shard);

/// <summary>The plan activity's answer: the run it created, or why it created none.</summary>
public sealed record NightPlanned(string? RunId, int Shards, string? Refused);

/// <summary>A stage activity's answer: customers covered, or why the night cannot be scored. Never the data itself.</summary>
public sealed record StageDone(long Customers, string? NotScored = null);

/// <summary>The stage the orchestration gave up in.</summary>
public sealed record NightStall(string RunId, NightStage Stage);

/// <summary>How a night ended: Complete, NotScored or Refused (a stalled night fails the orchestration instead).</summary>
public sealed record NightOutcome(string? RunId, string Status, long Customers, string? Reason)
{
    public const string Complete = nameof(Complete);
    public const string NotScored = nameof(NotScored);
    public const string Refused = nameof(Refused);
}

/// <summary>
/// The night as a Durable Functions orchestration (fan-out/fan-in): plan, stage 1 over every shard, stage 2 once,
/// stage 3 over every shard, stages 4 and 5 once. Each step is an activity in <see cref="NightActivities"/> calling the
/// same stage classes <c>crm score</c> runs in process; the outputs stay in blobs and the Runs table, so the history holds
/// only run ids, shard numbers and counts. A failing activity is retried (<see cref="NightStart.Attempts"/>, doubling
/// waits); when one still fails the run is marked stalled in that stage and the orchestration fails, leaving the run
/// to <c>crm runs resume</c>. The body must stay deterministic: no clock, no I/O, nothing but the context's calls.
/// </summary>
public static class NightOrchestration
{
    public const string Name = "NightlyRun";

    /// <summary>The singleton instance: a start while it runs is refused (<see cref="NightStarter"/>).</summary>
    public const string InstanceId = "crm-nightly";

    [Function(Name)]
    public static async Task<NightOutcome> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var start = context.GetInput<NightStart>() ?? throw new InvalidOperationException("The nightly orchestration needs a NightStart input.");
        var logger = context.CreateReplaySafeLogger(typeof(NightOrchestration).FullName!);

        // Not retried: a plan that created its run but lost its answer would, retried, only be refused by that run.
        var planned = await context.CallActivityAsync<NightPlanned>(NightActivities.Plan, start);
        if (planned.RunId is not { } runId)
        {
            logger.LogWarning("Nightly run as of {AsOf} not started: {Reason}", start.AsOf, planned.Refused);
            return new NightOutcome(null, NightOutcome.Refused, 0, planned.Refused);
        }

        var retry = TaskOptions.FromRetryPolicy(new RetryPolicy(start.Attempts, TimeSpan.FromSeconds(start.FirstRetrySeconds), backoffCoefficient: 2));
        var stage = NightStage.SummariseShard;
        try
        {
            var done = await FanOutAsync(context, NightActivities.SummariseShard, runId, planned.Shards, retry);
            stage = NightStage.FitModels;
            done = [.. done, await context.CallActivityAsync<StageDone>(NightActivities.FitModels, new NightShard(runId, 0), retry)];
            if (done.FirstOrDefault(d => d.NotScored is not null) is { } notScored)
            {
                logger.LogWarning("Run {RunId} as of {AsOf} not scored: {Reason}", runId, start.AsOf, notScored.NotScored);
                return new NightOutcome(runId, NightOutcome.NotScored, 0, notScored.NotScored);
            }

            stage = NightStage.ScoreShard;
            await FanOutAsync(context, NightActivities.ScoreShard, runId, planned.Shards, retry);
            stage = NightStage.RunArtefacts;
            await context.CallActivityAsync<StageDone>(NightActivities.WriteRunArtefacts, new NightShard(runId, 0), retry);
            stage = NightStage.CompleteRun;
            var completed = await context.CallActivityAsync<StageDone>(NightActivities.CompleteRun, new NightShard(runId, 0), retry);
            logger.LogInformation("Run {RunId} as of {AsOf} complete: {Customers} customers", runId, start.AsOf, completed.Customers);
            return new NightOutcome(runId, NightOutcome.Complete, completed.Customers, null);
        }
        catch (TaskFailedException failure)
        {
            // Every other shard of the stage has finished (WhenAll waits for all), so a resume runs only what failed.
            await context.CallActivityAsync<bool>(NightActivities.MarkStalled, new NightStall(runId, stage), retry);
            logger.LogError("Run {RunId} stalled in stage {Stage} after {Attempts} attempts: {Failure}", runId, stage, start.Attempts, failure.FailureDetails.ErrorType);
            throw;
        }
    }

    private static async Task<StageDone[]> FanOutAsync(TaskOrchestrationContext context, string activity, string runId, int shards, TaskOptions retry)
        => await Task.WhenAll(Enumerable.Range(0, shards).Select(shard => context.CallActivityAsync<StageDone>(activity, new NightShard(runId, shard), retry)));
}
