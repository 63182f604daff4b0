using Azure;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Storage;

/// <summary>How much of a partition to read before writing.</summary>
public enum StateLoad
{
    /// <summary>One range query per customer touched: right for a request or message with a few customers.</summary>
    PerCustomer,

    /// <summary>The whole partition in 1,000-row pages: right for a bulk import touching most of it.</summary>
    WholePartition,
}

/// <summary>
/// Writes purchases and contacts of one partition. Each customer's new purchases and their updated customer row
/// go into the same entity-group transaction (at most 100 actions), the row guarded by its ETag: a batch either
/// lands whole or not at all, so aggregates always equal a recount and a crash half-way loses or doubles nothing.
/// A concurrent writer shows up as 409/412; the writer re-reads what changed and plans the rest again.
/// </summary>
public sealed class PartitionWriter(CrmTables tables, TimeProvider clock, ILogger<PartitionWriter> logger)
{
    private const int MaxActions = 100;
    /// <summary>
    /// Re-plans before giving up with a 503. Each round at least one contending writer commits, so 20 rounds with
    /// jittered exponential back-off see eight writers on one partition through; 10 with a linear delay did not always.
    /// </summary>
    private const int MaxAttempts = 20;

    public async Task<IngestStatus[]> WriteAsync(
        string partition,
        IReadOnlyList<PendingWrite> items,
        StateLoad load,
        string source,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var statuses = new IngestStatus?[items.Count];
        var open = Enumerable.Range(0, items.Count).ToList();
        for (var attempt = 1; open.Count > 0; attempt++)
        {
            var customers = open.Select(i => items[i].CustomerId).Distinct(StringComparer.Ordinal).ToList();
            var states = await LoadAsync(partition, customers, load, cancellationToken);
            var units = Plan(items, open, states, statuses, source, progress);
            if (await SubmitAsync(units, states, statuses, progress, cancellationToken))
            {
                break;
            }

            if (attempt == MaxAttempts)
            {
                throw new RequestFailedException(503, $"Partition {partition} kept changing under {MaxAttempts} attempts; try again.");
            }

            logger.LogDebug("Concurrent change in partition {Partition}; re-reading (attempt {Attempt})", partition, attempt);
            open = [.. Enumerable.Range(0, items.Count).Where(i => statuses[i] is null)];
            await Task.Delay(Backoff(attempt), cancellationToken);
        }

        return [.. statuses.Select(status => status!.Value)];
    }

    /// <summary>Full jitter over 10 ms doubling per attempt, capped at 1 s, so contending writers spread out instead of colliding again.</summary>
    private static TimeSpan Backoff(int attempt)
        => TimeSpan.FromMilliseconds(Random.Shared.Next(1, (int)Math.Min(1000, 10 * Math.Pow(2, Math.Min(attempt, 10)))));

    private sealed class CustomerState
    {
        public CustomerEntity? Row { get; set; }

        public Dictionary<string, string> Hashes { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Purchases and the customer row as it must read after them: one slice of one batch.</summary>
    private sealed record WriteUnit(string CustomerId, List<TransactionEntity> Adds, List<int> Items)
    {
        public CustomerEntity Row { get; set; } = null!;

        public bool RowIsNew { get; set; }

        public int Size => Adds.Count + 1;
    }

    private async Task<Dictionary<string, CustomerState>> LoadAsync(string partition, List<string> customers, StateLoad load, CancellationToken cancellationToken)
    {
        var states = new Dictionary<string, CustomerState>(StringComparer.Ordinal);
        if (load == StateLoad.WholePartition)
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition}");
            await foreach (var row in tables.Customers.QueryAsync<TableEntity>(filter, maxPerPage: 1000, cancellationToken: cancellationToken))
            {
                Add(states, row);
            }

            return states;
        }

        var lists = new TableEntity[customers.Count][];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, customers.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var filter = CrmKeys.CustomerRangeFilter(customers[i]);
                var rows = new List<TableEntity>();
                await foreach (var row in tables.Customers.QueryAsync<TableEntity>(filter, maxPerPage: 1000, cancellationToken: ct))
                {
                    rows.Add(row);
                }

                lists[i] = [.. rows];
            });
        foreach (var row in lists.SelectMany(rows => rows))
        {
            Add(states, row);
        }

        return states;
    }

    private static void Add(Dictionary<string, CustomerState> states, TableEntity row)
    {
        var customerId = CrmKeys.CustomerIdOf(row.RowKey);
        if (!states.TryGetValue(customerId, out var state))
        {
            state = new CustomerState();
            states[customerId] = state;
        }

        if (CrmKeys.IsCustomerRow(row.RowKey))
        {
            state.Row = EntityMapper.ToCustomer(row);
        }
        else
        {
            state.Hashes[row.RowKey[(customerId.Length + 1)..]] = row.GetString(nameof(TransactionEntity.PayloadHash)) ?? "";
        }
    }

    private List<WriteUnit> Plan(
        IReadOnlyList<PendingWrite> items,
        List<int> open,
        Dictionary<string, CustomerState> states,
        IngestStatus?[] statuses,
        string source,
        IProgress<int>? progress)
    {
        var units = new List<WriteUnit>();
        var receivedAt = clock.GetUtcNow();
        var settled = 0;
        foreach (var group in open.GroupBy(i => items[i].CustomerId, StringComparer.Ordinal))
        {
            var state = states.GetValueOrDefault(group.Key);
            var row = state?.Row?.Copy() ?? EntityMapper.NewCustomer(group.Key);
            var hashes = state?.Hashes ?? new Dictionary<string, string>(StringComparer.Ordinal);
            var firstUnit = true;
            var unit = new WriteUnit(group.Key, [], []);
            foreach (var index in group)
            {
                var item = items[index];
                if (item.Transaction is { } transaction)
                {
                    if (hashes.TryGetValue(transaction.TransactionId, out var stored))
                    {
                        statuses[index] = stored == item.Hash ? IngestStatus.Duplicate : IngestStatus.Conflict;
                        settled++;
                        continue;
                    }

                    hashes[transaction.TransactionId] = item.Hash;
                    var entity = EntityMapper.ToEntity(transaction, item.Hash, source, receivedAt, item.ReportingCurrency);
                    EntityMapper.ApplyPurchase(row, entity);
                    unit.Adds.Add(entity);
                    unit.Items.Add(index);
                    if (unit.Size == MaxActions)
                    {
                        Close(unit, row, state, ref firstUnit, units);
                        unit = new WriteUnit(group.Key, [], []);
                    }
                }
                else
                {
                    if (row.HasContact)
                    {
                        statuses[index] = row.ContactHash == item.Hash ? IngestStatus.Duplicate : IngestStatus.Conflict;
                        settled++;
                        continue;
                    }

                    EntityMapper.ApplyContact(row, item.Contact!, item.Hash);
                    unit.Items.Add(index);
                }
            }

            if (unit.Items.Count > 0)
            {
                Close(unit, row, state, ref firstUnit, units);
            }
        }

        if (settled > 0)
        {
            progress?.Report(settled);
        }

        return units;
    }

    private static void Close(WriteUnit unit, CustomerEntity row, CustomerState? state, ref bool firstUnit, List<WriteUnit> units)
    {
        unit.Row = row.Copy();
        unit.RowIsNew = firstUnit && state?.Row is null;
        firstUnit = false;
        units.Add(unit);
    }

    /// <returns>False when a concurrent writer got in the way; the units not committed are left open.</returns>
    private async Task<bool> SubmitAsync(
        List<WriteUnit> units,
        Dictionary<string, CustomerState> states,
        IngestStatus?[] statuses,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        var etags = states.Where(pair => pair.Value.Row is not null).ToDictionary(pair => pair.Key, pair => pair.Value.Row!.ETag, StringComparer.Ordinal);
        var batch = new List<WriteUnit>();
        var customersInBatch = new HashSet<string>(StringComparer.Ordinal);
        var size = 0;
        foreach (var unit in units)
        {
            if (size + unit.Size > MaxActions || customersInBatch.Contains(unit.CustomerId))
            {
                if (!await SubmitBatchAsync(batch, etags, statuses, progress, cancellationToken))
                {
                    return false;
                }

                batch.Clear();
                customersInBatch.Clear();
                size = 0;
            }

            batch.Add(unit);
            customersInBatch.Add(unit.CustomerId);
            size += unit.Size;
        }

        return batch.Count == 0 || await SubmitBatchAsync(batch, etags, statuses, progress, cancellationToken);
    }

    private async Task<bool> SubmitBatchAsync(
        List<WriteUnit> batch,
        Dictionary<string, ETag> etags,
        IngestStatus?[] statuses,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        var actions = new List<TableTransactionAction>(MaxActions);
        var rowActionIndex = new int[batch.Count];
        for (var u = 0; u < batch.Count; u++)
        {
            var unit = batch[u];
            actions.AddRange(unit.Adds.Select(add => new TableTransactionAction(TableTransactionActionType.Add, add)));
            rowActionIndex[u] = actions.Count;
            actions.Add(unit.RowIsNew
                ? new TableTransactionAction(TableTransactionActionType.Add, unit.Row)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, unit.Row, etags[unit.CustomerId]));
        }

        Response<IReadOnlyList<Response>> response;
        try
        {
            response = await tables.Customers.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (TableTransactionFailedException exception) when (exception.Status is 409 or 412)
        {
            return false;
        }

        var complete = true;
        var done = 0;
        for (var u = 0; u < batch.Count; u++)
        {
            var unit = batch[u];
            foreach (var index in unit.Items)
            {
                statuses[index] = IngestStatus.Accepted;
            }

            done += unit.Items.Count;
            var etag = response.Value[rowActionIndex[u]].Headers.ETag;
            if (etag is { } value)
            {
                etags[unit.CustomerId] = value;
            }
            else
            {
                // Without the new ETag a later slice of this customer cannot be guarded; re-read instead.
                complete = false;
            }
        }

        progress?.Report(done);
        return complete;
    }
}
