using Azure;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// Writes interactions of one partition into the Interactions table. Each customer's new and changed interaction
/// rows and their recomputed aggregates row (<see cref="InteractionSummaryEntity"/>) go into one entity-group
/// transaction, the rows guarded by their ETags, so the aggregates always equal a recount and a crash half-way
/// loses or doubles nothing; a concurrent writer shows up as 409/412 and the writer re-reads and plans again (as
/// <see cref="PartitionWriter"/> does for purchases).
/// <para>
/// The same id again: a different interaction (any field but resolvedAt and rating differs) is a conflict and
/// nothing changes. resolvedAt and rating are fill-once: a send that adds one the stored row lacks updates it
/// (Updated), one that names a different value than the stored one is a conflict, one that lacks a value the
/// stored row has changes nothing (Stale: an older send arriving late). So a ticket is sent open and again when
/// resolved, in any order, and ends the same.
/// </para>
/// </summary>
public sealed class InteractionWriter(CrmTables tables, TimeProvider clock, ILogger<InteractionWriter> logger)
{
    private const int MaxActions = 100;
    private const int MaxAttempts = 20;

    public async Task<WriteOutcome[]> WriteAsync(
        string partition,
        IReadOnlyList<Interaction> items,
        StateLoad load,
        string source,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var statuses = new WriteOutcome?[items.Count];
        var receivedAt = clock.GetUtcNow();
        var open = Enumerable.Range(0, items.Count).ToList();
        for (var attempt = 1; open.Count > 0;)
        {
            var customers = open.Select(i => items[i].CustomerId).Distinct(StringComparer.Ordinal).ToList();
            var states = await LoadAsync(partition, customers, load, cancellationToken);
            var units = Plan(items, open, states, statuses, source, receivedAt, progress);
            var committed = await SubmitAsync(units, states, statuses, progress, cancellationToken);
            open = [.. Enumerable.Range(0, items.Count).Where(i => statuses[i] is null)];
            if (committed)
            {
                // Left open: a fill of an interaction planned in an earlier batch of this round; it is stored now.
                continue;
            }

            if (attempt == MaxAttempts)
            {
                throw new RequestFailedException(503, $"Partition {partition} kept changing under {MaxAttempts} attempts; try again.");
            }

            logger.LogDebug("Concurrent change of interactions in partition {Partition}; re-reading (attempt {Attempt})", partition, attempt);
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, (int)Math.Min(1000, 10 * Math.Pow(2, Math.Min(attempt, 10))))), cancellationToken);
            attempt++;
        }

        return [.. statuses.Select(status => status!)];
    }

    private sealed class CustomerState
    {
        public InteractionSummaryEntity? Summary { get; set; }

        public Dictionary<string, InteractionEntity> Interactions { get; } = new(StringComparer.Ordinal);
    }

    private sealed class WriteUnit(string customerId)
    {
        public string CustomerId { get; } = customerId;

        public Dictionary<string, InteractionEntity> Adds { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, InteractionEntity> Updates { get; } = new(StringComparer.Ordinal);

        public List<(int Item, WriteOutcome Outcome)> Outcomes { get; } = [];

        public InteractionSummaryEntity Summary { get; set; } = null!;

        public bool SummaryIsNew { get; set; }

        public int Size => Adds.Count + Updates.Count + 1;
    }

    private async Task<Dictionary<string, CustomerState>> LoadAsync(string partition, List<string> customers, StateLoad load, CancellationToken cancellationToken)
    {
        var states = new Dictionary<string, CustomerState>(StringComparer.Ordinal);
        if (load == StateLoad.WholePartition)
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition}");
            await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.Interactions, filter, null, cancellationToken))
            {
                Add(states, row);
            }

            return states;
        }

        var lists = new List<TableEntity>[customers.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, customers.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var rows = new List<TableEntity>();
                await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.Interactions, CrmKeys.CustomerRangeFilter(customers[i]), null, ct))
                {
                    rows.Add(row);
                }

                lists[i] = rows;
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
            state.Summary = new InteractionSummaryEntity { PartitionKey = row.PartitionKey, RowKey = row.RowKey, ETag = row.ETag };
        }
        else
        {
            var interaction = InteractionEntity.FromRow(row);
            state.Interactions[interaction.InteractionId] = interaction;
        }
    }

    private static List<WriteUnit> Plan(
        IReadOnlyList<Interaction> items,
        List<int> open,
        Dictionary<string, CustomerState> states,
        WriteOutcome?[] statuses,
        string source,
        DateTimeOffset receivedAt,
        IProgress<int>? progress)
    {
        var units = new List<WriteUnit>();
        var settled = 0;
        foreach (var group in open.GroupBy(i => items[i].CustomerId, StringComparer.Ordinal))
        {
            var state = states.GetValueOrDefault(group.Key) ?? new CustomerState();

            // Copies: a batch that fails must leave the rows as read, for the next plan.
            var stored = state.Interactions.ToDictionary(pair => pair.Key, pair => pair.Value.Copy(), StringComparer.Ordinal);
            var plannedIn = new Dictionary<string, WriteUnit>(StringComparer.Ordinal);
            var firstUnit = true;
            var unit = new WriteUnit(group.Key);
            foreach (var index in group)
            {
                var interaction = items[index];
                if (!stored.TryGetValue(interaction.InteractionId, out var existing))
                {
                    var entity = InteractionEntity.Of(interaction, source, receivedAt);
                    stored[interaction.InteractionId] = entity;
                    plannedIn[interaction.InteractionId] = unit;
                    unit.Adds[interaction.InteractionId] = entity;
                    unit.Outcomes.Add((index, WriteOutcome.Accepted));
                }
                else
                {
                    var (outcome, resolvedAt, rating) = Compare(existing, interaction);
                    if (outcome != WriteOutcome.Updated)
                    {
                        statuses[index] = outcome;
                        settled++;
                        continue;
                    }

                    if (plannedIn.TryGetValue(interaction.InteractionId, out var earlier) && earlier != unit)
                    {
                        // Its row goes in an earlier batch of this round; plan the fill again once that is stored.
                        continue;
                    }

                    (existing.ResolvedAt, existing.Rating, existing.UpdatedAt) = (resolvedAt, rating, receivedAt);
                    if (!unit.Adds.ContainsKey(interaction.InteractionId))
                    {
                        unit.Updates[interaction.InteractionId] = existing;
                        plannedIn[interaction.InteractionId] = unit;
                    }

                    unit.Outcomes.Add((index, WriteOutcome.Updated));
                }

                if (unit.Size >= MaxActions - 1)
                {
                    Close(unit, stored, state, receivedAt, ref firstUnit, units);
                    unit = new WriteUnit(group.Key);
                }
            }

            if (unit.Outcomes.Count > 0)
            {
                Close(unit, stored, state, receivedAt, ref firstUnit, units);
            }
        }

        if (settled > 0)
        {
            progress?.Report(settled);
        }

        return units;
    }

    /// <summary>What a send of an id already held comes to, and the fill-once fields after it.</summary>
    private static (WriteOutcome Outcome, DateTimeOffset? ResolvedAt, int? Rating) Compare(InteractionEntity stored, Interaction sent)
    {
        if (stored.PayloadHash != PayloadHash.Of(sent))
        {
            return (WriteOutcome.Conflict, null, null);
        }

        var sentResolved = sent.ResolvedAt?.ToUniversalTime();
        if ((stored.ResolvedAt is { } resolved && sentResolved is { } other && resolved != other)
            || (stored.Rating is { } rating && sent.Rating is { } otherRating && rating != otherRating))
        {
            return (WriteOutcome.Conflict, null, null);
        }

        var fills = (stored.ResolvedAt is null && sentResolved is not null) || (stored.Rating is null && sent.Rating is not null);
        if (fills)
        {
            return (WriteOutcome.Updated, stored.ResolvedAt ?? sentResolved, stored.Rating ?? sent.Rating);
        }

        return (sentResolved == stored.ResolvedAt && sent.Rating == stored.Rating ? WriteOutcome.Duplicate : WriteOutcome.Stale, null, null);
    }

    private static void Close(WriteUnit unit, Dictionary<string, InteractionEntity> stored, CustomerState state, DateTimeOffset receivedAt, ref bool firstUnit, List<WriteUnit> units)
    {
        unit.Summary = InteractionSummaryEntity.Compute(unit.CustomerId, stored.Values.Select(row => row.ToInteraction()), receivedAt);
        unit.SummaryIsNew = firstUnit && state.Summary is null;
        firstUnit = false;
        units.Add(unit);
    }

    /// <returns>False when a concurrent writer got in the way; the units not committed are left open.</returns>
    private async Task<bool> SubmitAsync(
        List<WriteUnit> units,
        Dictionary<string, CustomerState> states,
        WriteOutcome?[] statuses,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        var etags = states.Where(pair => pair.Value.Summary is not null).ToDictionary(pair => pair.Key, pair => pair.Value.Summary!.ETag, StringComparer.Ordinal);
        var batch = new List<WriteUnit>();
        var size = 0;
        foreach (var unit in units)
        {
            if (size + unit.Size > MaxActions || batch.Any(b => b.CustomerId == unit.CustomerId))
            {
                if (!await SubmitBatchAsync(batch, etags, statuses, progress, cancellationToken))
                {
                    return false;
                }

                batch.Clear();
                size = 0;
            }

            batch.Add(unit);
            size += unit.Size;
        }

        return batch.Count == 0 || await SubmitBatchAsync(batch, etags, statuses, progress, cancellationToken);
    }

    private async Task<bool> SubmitBatchAsync(
        List<WriteUnit> batch,
        Dictionary<string, ETag> etags,
        WriteOutcome?[] statuses,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        var actions = new List<TableTransactionAction>(MaxActions);
        var summaryActionIndex = new int[batch.Count];
        for (var u = 0; u < batch.Count; u++)
        {
            var unit = batch[u];
            actions.AddRange(unit.Adds.Values.Select(add => new TableTransactionAction(TableTransactionActionType.Add, add)));
            actions.AddRange(unit.Updates.Values.Select(update => new TableTransactionAction(TableTransactionActionType.UpdateReplace, update, update.ETag)));
            summaryActionIndex[u] = actions.Count;
            actions.Add(unit.SummaryIsNew
                ? new TableTransactionAction(TableTransactionActionType.Add, unit.Summary)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, unit.Summary, etags[unit.CustomerId]));
        }

        Response<IReadOnlyList<Response>> response;
        try
        {
            response = await tables.Interactions.SubmitTransactionAsync(actions, cancellationToken);
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
            foreach (var (item, outcome) in unit.Outcomes)
            {
                statuses[item] = outcome;
            }

            done += unit.Outcomes.Count;
            if (response.Value[summaryActionIndex[u]].Headers.ETag is { } etag)
            {
                etags[unit.CustomerId] = etag;
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
