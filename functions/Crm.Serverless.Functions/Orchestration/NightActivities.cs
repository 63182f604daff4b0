using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Scoring;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Orchestration;

/// <summary>
/// The activities of <see cref="NightOrchestration"/>: each one invocation of a stage through <see cref="NightlyJob"/>,
/// which skips an invocation already recorded done (a retried or redelivered activity does no work twice).
/// </summary>
public sealed class NightActivities(NightlyJob job)
{
    public const string Plan = "NightPlan";
    public const string SummariseShard = "NightSummariseShard";
    public const string FitModels = "NightFitModels";
    public const string ScoreShard = "NightScoreShard";
    public const string WriteRunArtefacts = "NightWriteRunArtefacts";
    public const string CompleteRun = "NightCompleteRun";
    public const string MarkStalled = "NightMarkStalled";

    /// <summary>Creates the run; a run already going (or a <c>crm score</c> holding the lease) refuses, clearly.</summary>
    [Function(Plan)]
    public async Task<NightPlanned> PlanAsync([ActivityTrigger] NightStart start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        try
        {
            var run = await job.StartAsync(start.AsOf, cancellationToken);
            return new NightPlanned(run.RunId, run.Shards, null);
        }
        catch (RunInProgressException exception)
        {
            return new NightPlanned(null, 0, exception.Message);
        }
    }

    [Function(SummariseShard)]
    public Task<StageDone> SummariseShardAsync([ActivityTrigger] NightShard shard, CancellationToken cancellationToken)
        => RunAsync(shard, NightStage.SummariseShard, cancellationToken);

    [Function(FitModels)]
    public Task<StageDone> FitModelsAsync([ActivityTrigger] NightShard shard, CancellationToken cancellationToken)
        => RunAsync(shard, NightStage.FitModels, cancellationToken);

    [Function(ScoreShard)]
    public Task<StageDone> ScoreShardAsync([ActivityTrigger] NightShard shard, CancellationToken cancellationToken)
        => RunAsync(shard, NightStage.ScoreShard, cancellationToken);

    [Function(WriteRunArtefacts)]
    public Task<StageDone> WriteRunArtefactsAsync([ActivityTrigger] NightShard shard, CancellationToken cancellationToken)
        => RunAsync(shard, NightStage.RunArtefacts, cancellationToken);

    [Function(CompleteRun)]
    public Task<StageDone> CompleteRunAsync([ActivityTrigger] NightShard shard, CancellationToken cancellationToken)
        => RunAsync(shard, NightStage.CompleteRun, cancellationToken);

    [Function(MarkStalled)]
    public async Task<bool> MarkStalledAsync([ActivityTrigger] NightStall stall, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stall);
        await job.MarkStalledAsync(stall.RunId, stall.Stage, cancellationToken);
        return true;
    }

    private async Task<StageDone> RunAsync(NightShard shard, NightStage stage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shard);
        try
        {
            return new StageDone((await job.RunInvocationAsync(shard.RunId, stage, shard.Shard, cancellationToken)).Customers);
        }
        catch (InsufficientDataException exception)
        {
            // An answer, not a failure: retrying would not make more data. The run is already recorded NotScored.
            return new StageDone(0, exception.Message);
        }
    }
}
