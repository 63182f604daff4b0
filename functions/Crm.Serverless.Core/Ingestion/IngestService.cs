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
/// Stores parsed contacts and purchases, whichever door they came in by, and says per item what happened, through
/// the one pipeline of every item kind (<see cref="PartitionedIngest"/>).
/// </summary>
public sealed class IngestService(PartitionWriter writer, StoreCurrency storeCurrency)
{
    private readonly PartitionedIngest<PendingWrite> _pipeline = new(static item => item.CustomerId, writer.WriteAsync);

    /// <summary>Purchases in another currency than the store's are refused per item unless they carry their conversion.</summary>
    public async Task<IReadOnlyList<ItemOutcome>> IngestTransactionsAsync(ParsedBody<Transaction> body, string source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var currency = await storeCurrency.ResolveAsync(body.Items.Where(item => item.Value is not null).Select(item => item.Value!), cancellationToken);
        var items = body.Items.Select(item => item.Value is { } transaction && StoreCurrency.Check(transaction, currency, PartitionedIngest.FieldPrefix(body, item)) is { } refusal
            ? item with { Value = null, Errors = [refusal] }
            : item);
        return await IngestAsync(body with { Items = [.. items] }, t => PendingWrite.Of(t, currency!), "transactionId", "is already stored with different content; a stored purchase is never overwritten", source, cancellationToken);
    }

    /// <summary>Contacts never conflict: a stored one is updated field by field, last writer by updatedAt wins.</summary>
    public Task<IReadOnlyList<ItemOutcome>> IngestContactsAsync(ParsedBody<Contact> body, string source, CancellationToken cancellationToken)
        => IngestAsync(body, static c => PendingWrite.Of(c), "customerId", "already has a contact with different content", source, cancellationToken);

    /// <summary>Writes valid items of any kind; returns one status per item, in input order.</summary>
    public Task<WriteOutcome[]> WriteAsync(
        IReadOnlyList<PendingWrite> items,
        StateLoad load,
        string source,
        int parallelism,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
        => _pipeline.WriteAsync(items, load, source, parallelism, progress, cancellationToken);

    private Task<IReadOnlyList<ItemOutcome>> IngestAsync<T>(
        ParsedBody<T> body,
        Func<T, PendingWrite> toWrite,
        string conflictField,
        string conflictMessage,
        string source,
        CancellationToken cancellationToken)
        where T : class
        => _pipeline.IngestAsync(body, toWrite, source, conflictField, conflictMessage, cancellationToken);
}
