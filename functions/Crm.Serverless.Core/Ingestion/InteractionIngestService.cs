using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;

namespace Crm.Serverless.Core.Ingestion;

/// <summary>
/// Stores parsed interactions, whichever door they came in by, and says per item what happened, as
/// <see cref="IngestService"/> does for purchases and contacts. Items are grouped by partition and the partitions
/// written in parallel. An interaction needs no stored customer: a shop may send service contacts first.
/// </summary>
public sealed class InteractionIngestService(InteractionWriter writer)
{
    private const int PartitionParallelism = 8;

    public const string ConflictMessage = "is already stored with different content (only a missing resolvedAt or rating can be added later)";

    public async Task<IReadOnlyList<ItemOutcome>> IngestAsync(ParsedBody<Interaction> body, string source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var valid = body.Items.Where(item => item.Value is not null).ToList();
        var statuses = await WriteAsync([.. valid.Select(item => item.Value!)], StateLoad.PerCustomer, source, PartitionParallelism, null, cancellationToken);
        var byIndex = new Dictionary<int, WriteOutcome>();
        for (var k = 0; k < valid.Count; k++)
        {
            byIndex[valid[k].Index] = statuses[k];
        }

        return [.. body.Items.Select(item => byIndex.TryGetValue(item.Index, out var written)
            ? new ItemOutcome(item.Index, written.Status, item.CustomerId, item.Id, written.Status == IngestStatus.Conflict ? [new FieldError((body.IsBatch ? $"[{item.Index}]." : "") + "interactionId", ConflictMessage)] : [])
            : ItemOutcome.Rejected(item.Index, item.CustomerId, item.Id, item.Errors))];
    }

    /// <summary>Writes valid interactions; returns one status per item, in input order.</summary>
    public async Task<WriteOutcome[]> WriteAsync(
        IReadOnlyList<Interaction> items,
        StateLoad load,
        string source,
        int parallelism,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var statuses = new WriteOutcome[items.Count];
        var partitions = Enumerable.Range(0, items.Count)
            .GroupBy(i => CrmKeys.PartitionOf(items[i].CustomerId), StringComparer.Ordinal)
            .ToList();
        await Parallel.ForEachAsync(
            partitions,
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (partition, ct) =>
            {
                var indices = partition.ToList();
                var written = await writer.WriteAsync(partition.Key, [.. indices.Select(i => items[i])], load, source, progress, ct);
                for (var k = 0; k < indices.Count; k++)
                {
                    statuses[indices[k]] = written[k];
                }
            });
        return statuses;
    }
}
