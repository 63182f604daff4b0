using System.Diagnostics;
using Crm.Serverless.Core.Campaigns;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Products;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Core.Nightly;

/// <summary>
/// Stage 4, once, after every shard is scored: the run's product facts and discount response, campaign figures and interaction figures, each written
/// as a run artefact by its own service. They read storage here so that stage 5 builds the report from artefacts only.
/// </summary>
/// <remarks>
/// Not yet shard-parallel: product facts take the run's scores whole, and campaign figures read the histories of the
/// shards once (only when a sent campaign exists). Both are mergeable per shard (ProductFactsPartial, CampaignTally).
/// </remarks>
public sealed class WriteRunArtefacts(
    RunStore runs,
    SegmentReader segments,
    HistoryReader histories,
    CampaignStore campaignStore,
    ProductFactsService products,
    CampaignRunFigures campaigns,
    InteractionActivityStore interactions)
{
    public async Task RunAsync(NightPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var stopwatch = Stopwatch.StartNew();
        var run = await runs.GetAsync(plan.RunId, cancellationToken)
            ?? throw new InvalidOperationException($"Run {plan.RunId} has no run record.");
        var scores = new List<CustomerScore>(run.Customers);
        await foreach (var score in segments.StreamAsync(run, null, cancellationToken))
        {
            scores.Add(score);
        }

        await products.WriteAsync(run.RunId, run.AsOf, scores, cancellationToken);
        var sent = (await campaignStore.ListAsync(cancellationToken)).Any(c => c.Status == CampaignStatus.Ready);
        await campaigns.WriteAsync(run, sent ? await histories.ReadAllAsync(cancellationToken) : [], cancellationToken);
        await interactions.PublishAsync(run, cancellationToken);
        var steps = new Dictionary<string, double>(run.StepSeconds) { ["runArtefacts"] = stopwatch.Elapsed.TotalSeconds };
        await runs.CreateAsync(run with { StepSeconds = steps }, cancellationToken);
    }
}
