using System.Diagnostics;
using Crm.Serverless.Core.Campaigns;
using Crm.Serverless.Core.Products;
using Crm.Serverless.Core.Scoring;

namespace Crm.Serverless.Core.Nightly;

/// <summary>
/// Stage 4, once, after every shard is scored: the run's product facts, discount response and campaign figures
/// merged from the shards' partials (<see cref="ShardPartials"/>: two small blobs per shard, one total per sku,
/// segment and campaign held, no Customers or Scores row read) and interaction figures (recommendations are made in
/// stages 1-3, <see cref="Recommendations.RecommendationStages"/>), each written as a run artefact by its own service, so that stage
/// 5 builds the report from artefacts only.
/// </summary>
public sealed class WriteRunArtefacts(
    RunStore runs,
    ShardPartials partials,
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
        var merged = await partials.MergeAsync(plan, cancellationToken);
        await products.WriteAsync(run.RunId, merged.Products, merged.Discounts, cancellationToken);
        await campaigns.WriteAsync(run, merged.Campaigns, cancellationToken);
        await interactions.PublishAsync(run, cancellationToken);
        var steps = new Dictionary<string, double>(run.StepSeconds) { ["runArtefacts"] = stopwatch.Elapsed.TotalSeconds };
        await runs.CreateAsync(run with { StepSeconds = steps }, cancellationToken);
    }
}
