using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;

namespace Crm.Serverless.Core.Ingestion;

/// <summary>
/// The one ingest pipeline of every item kind (<see cref="IngestService"/> for purchases and contacts,
/// <see cref="InteractionIngestService"/> for interactions): valid items grouped by partition, the partitions
/// written in parallel by the kind's writer, and one status per item mapped back in input order, an invalid item
/// rejected with its parse errors.
/// </summary>
/// <param name="customerOf">The customer an item belongs to, which names its partition.</param>
/// <param name="write">The kind's writer: one partition's items, one status per item in the order given.</param>
public sealed class PartitionedIngest<TWrite>(Func<TWrite, string> customerOf, PartitionedIngest<TWrite>.PartitionWrite write)
{
    /// <summary>How many partitions a request or message writes at once.</summary>
    private const int RequestParallelism = 8;

    public delegate Task<WriteOutcome[]> PartitionWrite(string partition, IReadOnlyList<TWrite> items, StateLoad load, string source, IProgress<int>? progress, CancellationToken cancellationToken);

    /// <summary>Writes valid items; returns one status per item, in input order.</summary>
    public async Task<WriteOutcome[]> WriteAsync(
        IReadOnlyList<TWrite> items,
        StateLoad load,
        string source,
        int parallelism,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var statuses = new WriteOutcome[items.Count];
        var partitions = Enumerable.Range(0, items.Count)
            .GroupBy(i => CrmKeys.PartitionOf(customerOf(items[i])), StringComparer.Ordinal)
            .ToList();
        await Parallel.ForEachAsync(
            partitions,
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (partition, ct) =>
            {
                var indices = partition.ToList();
                var written = await write(partition.Key, [.. indices.Select(i => items[i])], load, source, progress, ct);
                for (var k = 0; k < indices.Count; k++)
                {
                    statuses[indices[k]] = written[k];
                }
            });
        return statuses;
    }

    /// <summary>
    /// Writes the valid items of a parsed request or message (each customer's range read on its own) and says per
    /// item what happened. A conflict names <paramref name="conflictField"/>; in a batch each field is prefixed with
    /// the item's index (<c>[2].transactionId</c>), as the parse errors are.
    /// </summary>
    public async Task<IReadOnlyList<ItemOutcome>> IngestAsync<T>(
        ParsedBody<T> body,
        Func<T, TWrite> toWrite,
        string source,
        string conflictField,
        string conflictMessage,
        CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(body);
        var items = body.Items;
        var valid = items.Where(item => item.Value is not null).ToList();
        var statuses = await WriteAsync([.. valid.Select(item => toWrite(item.Value!))], StateLoad.PerCustomer, source, RequestParallelism, null, cancellationToken);
        var byIndex = new Dictionary<int, WriteOutcome>();
        for (var k = 0; k < valid.Count; k++)
        {
            byIndex[valid[k].Index] = statuses[k];
        }

        return [.. items.Select(item => byIndex.TryGetValue(item.Index, out var written)
            ? new ItemOutcome(item.Index, written.Status, item.CustomerId, item.Id, Errors(written, PartitionedIngest.FieldPrefix(body, item), conflictField, conflictMessage)) { AwaitsPurchase = written.AwaitsPurchase }
            : ItemOutcome.Rejected(item.Index, item.CustomerId, item.Id, item.Errors))];
    }

    private static IReadOnlyList<FieldError> Errors(WriteOutcome written, string prefix, string conflictField, string conflictMessage)
        => written switch
        {
            { Error: { } error } => [error with { Field = prefix + error.Field }],
            { Status: IngestStatus.Conflict } => [new FieldError(prefix + conflictField, conflictMessage)],
            _ => [],
        };
}

public static class PartitionedIngest
{
    /// <summary>What an item's field names start with in a problem-details body: its index in a batch, nothing alone.</summary>
    public static string FieldPrefix<T>(ParsedBody<T> body, ParsedItem<T> item)
        where T : class
        => body.IsBatch ? $"[{item.Index}]." : "";
}
