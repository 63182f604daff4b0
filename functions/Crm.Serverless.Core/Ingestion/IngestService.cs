using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;

namespace Crm.Serverless.Core.Ingestion;

/// <summary>Where an item came from; stored with it and used in rejected records.</summary>
public static class IngestSource
{
    public const string Http = "http";
    public const string Queue = "queue";
    public const string Import = "import";
}

/// <summary>
/// Stores parsed contacts and purchases, whichever door they came in by, and says per item what happened.
/// Items are grouped by partition and the partitions written in parallel.
/// </summary>
public sealed class IngestService(PartitionWriter writer, StoreCurrency storeCurrency)
{
    private const int PartitionParallelism = 8;

    /// <summary>Purchases in another currency than the store's are refused per item unless they carry their conversion.</summary>
    public async Task<IReadOnlyList<ItemOutcome>> IngestTransactionsAsync(ParsedBody<Transaction> body, string source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var currency = await storeCurrency.ResolveAsync(body.Items.Where(item => item.Value is not null).Select(item => item.Value!), cancellationToken);
        var items = body.Items.Select(item => item.Value is { } transaction && StoreCurrency.Check(transaction, currency, body.IsBatch ? $"[{item.Index}]." : "") is { } refusal
            ? item with { Value = null, Errors = [refusal] }
            : item);
        return await IngestAsync(body with { Items = [.. items] }, t => PendingWrite.Of(t, currency!), "transactionId", "is already stored with different content; a stored purchase is never overwritten", source, cancellationToken);
    }

    /// <summary>Contacts never conflict: a stored one is updated field by field, last writer by updatedAt wins.</summary>
    public Task<IReadOnlyList<ItemOutcome>> IngestContactsAsync(ParsedBody<Contact> body, string source, CancellationToken cancellationToken)
        => IngestAsync(body, static c => PendingWrite.Of(c), "customerId", "already has a contact with different content", source, cancellationToken);

    /// <summary>Writes valid items of any kind; returns one status per item, in input order.</summary>
    public async Task<WriteOutcome[]> WriteAsync(
        IReadOnlyList<PendingWrite> items,
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

    private async Task<IReadOnlyList<ItemOutcome>> IngestAsync<T>(
        ParsedBody<T> body,
        Func<T, PendingWrite> toWrite,
        string conflictField,
        string conflictMessage,
        string source,
        CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(body);
        var items = body.Items;
        var valid = items.Where(item => item.Value is not null).ToList();
        var statuses = await WriteAsync([.. valid.Select(item => toWrite(item.Value!))], StateLoad.PerCustomer, source, PartitionParallelism, null, cancellationToken);
        var byIndex = new Dictionary<int, WriteOutcome>();
        for (var k = 0; k < valid.Count; k++)
        {
            byIndex[valid[k].Index] = statuses[k];
        }

        return [.. items.Select(item => byIndex.TryGetValue(item.Index, out var written)
            ? new ItemOutcome(item.Index, written.Status, item.CustomerId, item.Id, Errors(written, body.IsBatch ? $"[{item.Index}]." : "", conflictField, conflictMessage)) { AwaitsPurchase = written.AwaitsPurchase }
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
