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
/// Writes purchases, refunds, cancels and contacts of one partition. Each customer's new rows, the purchase rows
/// a refund or cancel changes, their updated customer row and their <see cref="CustomerSummaryRow"/> (recomputed from
/// the rows read and planned, written blind) go into the same entity-group transaction (at most 100 actions), the rows
/// guarded by their ETags: a batch either lands whole or not at all, so aggregates always
/// equal a recount and a crash half-way loses or doubles nothing. A concurrent writer shows up as 409/412; the
/// writer re-reads what changed and plans the rest again.
/// </summary>
public sealed class PartitionWriter(CrmTables tables, TimeProvider clock, ILogger<PartitionWriter> logger)
{
    private const int MaxActions = 100;
    /// <summary>
    /// Re-plans before giving up with a 503. Each round at least one contending writer commits, so 20 rounds with
    /// jittered exponential back-off see eight writers on one partition through; 10 with a linear delay did not always.
    /// </summary>
    private const int MaxAttempts = 20;

    public async Task<WriteOutcome[]> WriteAsync(
        string partition,
        IReadOnlyList<PendingWrite> items,
        StateLoad load,
        string source,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var statuses = new WriteOutcome?[items.Count];

        // One receive time for every attempt: a contact without updatedAt keeps the same stamp when re-planned.
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
                // Left open: a refund whose purchase was planned in an earlier batch of this round; it is stored now.
                continue;
            }

            if (attempt == MaxAttempts)
            {
                throw new RequestFailedException(503, $"Partition {partition} kept changing under {MaxAttempts} attempts; try again.");
            }

            logger.LogDebug("Concurrent change in partition {Partition}; re-reading (attempt {Attempt})", partition, attempt);
            await Task.Delay(Backoff(attempt), cancellationToken);
            attempt++;
        }

        return [.. statuses.Select(status => status!)];
    }

    /// <summary>Full jitter over 10 ms doubling per attempt, capped at 1 s, so contending writers spread out instead of colliding again.</summary>
    private static TimeSpan Backoff(int attempt)
        => TimeSpan.FromMilliseconds(Random.Shared.Next(1, (int)Math.Min(1000, 10 * Math.Pow(2, Math.Min(attempt, 10)))));

    private sealed class CustomerState
    {
        public CustomerEntity? Row { get; set; }

        /// <summary>Every transaction row of the customer by transaction id: purchases, refunds and cancels.</summary>
        public Dictionary<string, TransactionEntity> Transactions { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>New rows, changed purchase rows and the customer row as it must read after them: one slice of one batch.</summary>
    private sealed record WriteUnit(string CustomerId, List<TransactionEntity> Adds, List<int> Items)
    {
        public CustomerEntity Row { get; set; } = null!;

        public bool RowIsNew { get; set; }

        /// <summary>Stored purchase rows a refund or cancel in this unit changes.</summary>
        public Dictionary<string, TransactionEntity> Updates { get; } = new(StringComparer.Ordinal);

        /// <summary>The status each item of <see cref="Items"/> gets once the unit commits.</summary>
        public List<WriteOutcome> Outcomes { get; } = [];

        public List<ConsentEntity> Consents { get; } = [];

        /// <summary>The customer's summary row as it must read after this unit (<see cref="CustomerSummaryRow"/>), written blind beside the row.</summary>
        public TableEntity Summary { get; set; } = null!;

        public int SummaryBytes { get; set; }

        /// <summary>Actions in the batch: the new and changed rows, the customer row and the summary row.</summary>
        public int Size => Adds.Count + Updates.Count + 2;
    }

    private async Task<Dictionary<string, CustomerState>> LoadAsync(string partition, List<string> customers, StateLoad load, CancellationToken cancellationToken)
    {
        var states = new Dictionary<string, CustomerState>(StringComparer.Ordinal);
        if (load == StateLoad.WholePartition)
        {
            await foreach (var row in tables.Scanner.PartitionAsync(tables.Customers, partition, select: null, cancellationToken))
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
                await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.Customers, filter, select: null, ct))
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
        if (CrmKeys.IsSummaryRow(row.RowKey))
        {
            // Written from the rows below, never read back: the writer recomputes it.
            return;
        }

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
            var transaction = EntityMapper.ToTransaction(row);
            state.Transactions[row.RowKey[(customerId.Length + 1)..]] = transaction;
        }
    }

    private static List<WriteUnit> Plan(
        IReadOnlyList<PendingWrite> items,
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
            var row = state.Row?.Copy() ?? EntityMapper.NewCustomer(group.Key);
            var transactions = state.Transactions;

            // Rows this round already writes, and in which unit: a purchase row may be in one batch only.
            var touchedIn = new Dictionary<string, WriteUnit>(StringComparer.Ordinal);
            var firstUnit = true;
            var unit = new WriteUnit(group.Key, [], []);
            // Purchases, then their lines, then refunds and cancels (stable otherwise): a batch or file may list a refund first.
            foreach (var index in group.OrderBy(i => items[i].Transaction is { Kind: not TransactionKind.Purchase } ? 2 : items[i].Lines is null ? 0 : 1))
            {
                var item = items[index];
                if (item.Transaction is { } transaction)
                {
                    if (transactions.TryGetValue(transaction.TransactionId, out var stored))
                    {
                        statuses[index] = SameAsStored(stored, transaction, item.Hash) ? WriteOutcome.Duplicate : WriteOutcome.Conflict;
                        settled++;
                        continue;
                    }

                    // The row as it would be stored: its amount is in the store's currency, which is what a refund
                    // is measured against (the purchase it names was converted the same way).
                    var entity = EntityMapper.ToEntity(transaction, item.Hash, source, receivedAt, item.ReportingCurrency);
                    TransactionEntity? target = null;
                    if (transaction.Kind != TransactionKind.Purchase)
                    {
                        var refusal = Refusal(transaction, entity.AmountScaled, transactions, out target);
                        if (refusal is not null)
                        {
                            statuses[index] = refusal;
                            settled++;
                            continue;
                        }

                        if (touchedIn.TryGetValue(target!.TransactionId, out var earlier) && earlier != unit)
                        {
                            // Its purchase goes in an earlier batch of this round; plan it again once that is stored.
                            continue;
                        }
                    }

                    transactions[transaction.TransactionId] = entity;
                    touchedIn[transaction.TransactionId] = unit;
                    unit.Adds.Add(entity);
                    if (target is null)
                    {
                        EntityMapper.ApplyPurchase(row, entity);
                    }
                    else
                    {
                        if (transaction.Kind == TransactionKind.Cancel)
                        {
                            target.Cancelled = true;
                        }
                        else
                        {
                            target.RefundedScaled += entity.AmountScaled;
                            if (transaction.Items.Count > 0)
                            {
                                var refunded = EntityMapper.ReadRefundedItems(target.RefundedItemsJson);
                                foreach (var line in transaction.Items)
                                {
                                    refunded[line.Sku] = refunded.GetValueOrDefault(line.Sku) + line.Quantity;
                                }

                                target.RefundedItemsJson = EntityMapper.RefundedItemsJson(refunded);
                            }
                        }

                        // A purchase added in this very unit is written with its new values; a stored one is updated.
                        if (!touchedIn.ContainsKey(target.TransactionId))
                        {
                            unit.Updates[target.TransactionId] = target;
                            touchedIn[target.TransactionId] = unit;
                        }

                        EntityMapper.Recount(row, transactions.Values);
                    }

                    unit.Items.Add(index);
                    unit.Outcomes.Add(WriteOutcome.Accepted);
                }
                else if (item.Lines is { } lines)
                {
                    if (LinesRefusal(lines, transactions) is { } refusal)
                    {
                        statuses[index] = refusal;
                        settled++;
                        continue;
                    }

                    var purchase = transactions[lines.TransactionId];
                    if (purchase.ItemsJson is not null)
                    {
                        statuses[index] = SameLines(purchase.ItemsJson, lines.Items) ? WriteOutcome.Duplicate : WriteOutcome.Conflict;
                        settled++;
                        continue;
                    }

                    if (touchedIn.TryGetValue(purchase.TransactionId, out var earlier) && earlier != unit)
                    {
                        // Its purchase goes in an earlier batch of this round; plan it again once that is stored.
                        continue;
                    }

                    purchase.ItemsJson = EntityMapper.ItemsJson(lines.Items);
                    purchase.LinesAttached = true;
                    if (!touchedIn.ContainsKey(purchase.TransactionId))
                    {
                        unit.Updates[purchase.TransactionId] = purchase;
                        touchedIn[purchase.TransactionId] = unit;
                    }

                    // The customer row shows the last purchase's lines.
                    EntityMapper.Recount(row, transactions.Values);
                    unit.Items.Add(index);
                    unit.Outcomes.Add(WriteOutcome.Accepted);
                }
                else
                {
                    var contact = item.Contact!;
                    var merge = EntityMapper.MergeContact(row, contact, contact.UpdatedAt ?? receivedAt, item.Hash);
                    if (!merge.Dirty)
                    {
                        statuses[index] = new WriteOutcome(merge.Status);
                        settled++;
                        continue;
                    }

                    if (merge.Consent is { } change)
                    {
                        unit.Consents.Add(ConsentEntity.Of(group.Key, change.Value, change.Previous, change.ChangedAt, source, receivedAt));
                    }

                    unit.Items.Add(index);
                    unit.Outcomes.Add(new WriteOutcome(merge.Status));
                }

                if (unit.Size >= MaxActions - 1)
                {
                    Close(unit, row, state, ref firstUnit, units);
                    unit = new WriteUnit(group.Key, [], []);
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

    /// <summary>
    /// A resend of a stored purchase: the same payload, or, when its lines came later from a lines file, the same
    /// purchase with those same lines.
    /// </summary>
    private static bool SameAsStored(TransactionEntity stored, Transaction transaction, string hash)
        => stored.PayloadHash == hash
           || (stored.LinesAttached
               && transaction.Items.Count > 0
               && stored.PayloadHash == PayloadHash.Of(transaction with { Items = [] })
               && stored.ItemsJson is { } json
               && SameLines(json, transaction.Items));

    /// <summary>The same lines in any order: a lines file need not list them as the shop's JSON did.</summary>
    private static bool SameLines(string storedJson, IReadOnlyList<LineItem> items)
        => EntityMapper.ReadItems(storedJson).OrderBy(Order).SequenceEqual(items.OrderBy(Order));

    private static string Order(LineItem item) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{item.Sku}\t{item.Quantity}\t{item.Price}\t{item.Category}\t{item.UnitCost}");

    /// <summary>Why lines cannot be attached to what this customer has stored, or null when they can.</summary>
    private static WriteOutcome? LinesRefusal(PurchaseLines lines, Dictionary<string, TransactionEntity> transactions)
    {
        if (!transactions.TryGetValue(lines.TransactionId, out var purchase))
        {
            return new WriteOutcome(IngestStatus.Rejected, new FieldError("transactionId", "names no purchase stored for this customer; import the transactions first"));
        }

        return purchase.IsPurchase
            ? null
            : new WriteOutcome(IngestStatus.Rejected, new FieldError("transactionId", $"names a {purchase.Kind}, not a purchase"));
    }

    /// <summary>Why a refund or cancel cannot apply to what this customer has stored, or null when it can.</summary>
    private static WriteOutcome? Refusal(Transaction transaction, long amountScaled, Dictionary<string, TransactionEntity> transactions, out TransactionEntity? target)
    {
        if (!transactions.TryGetValue(transaction.RefersTo!, out target))
        {
            return new WriteOutcome(
                IngestStatus.Rejected,
                new FieldError("refersTo", "names no purchase stored for this customer; a refund or cancel must name a purchase of the same customerId, stored before it"),
                AwaitsPurchase: true);
        }

        if (!target.IsPurchase)
        {
            return new WriteOutcome(IngestStatus.Rejected, new FieldError("refersTo", $"names a {target.Kind}, not a purchase"));
        }

        if (target.Cancelled)
        {
            return new WriteOutcome(IngestStatus.Rejected, new FieldError("refersTo", "names a purchase that is cancelled"));
        }

        var remaining = target.AmountScaled - target.RefundedScaled;
        if (transaction.Kind == TransactionKind.Refund && amountScaled > remaining)
        {
            return new WriteOutcome(
                IngestStatus.Rejected,
                new FieldError("amount", $"is more than what remains of the purchase ({Money.FromScaled(remaining).ToString(System.Globalization.CultureInfo.InvariantCulture)})"));
        }

        return transaction.Items.Count > 0 ? LineRefusal(transaction.Items, target) : null;
    }

    /// <summary>A refund's lines against the purchase's: each sku bought, and no more units than remain unrefunded.</summary>
    private static WriteOutcome? LineRefusal(IReadOnlyList<LineItem> lines, TransactionEntity purchase)
    {
        var bought = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in EntityMapper.ReadItems(purchase.ItemsJson))
        {
            bought[line.Sku] = bought.GetValueOrDefault(line.Sku) + line.Quantity;
        }

        var refunded = EntityMapper.ReadRefundedItems(purchase.RefundedItemsJson);
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (!bought.TryGetValue(line.Sku, out var units))
            {
                return new WriteOutcome(IngestStatus.Rejected, new FieldError($"items[{i}].sku", "names no line of the purchase"));
            }

            refunded[line.Sku] = refunded.GetValueOrDefault(line.Sku) + line.Quantity;
            if (refunded[line.Sku] > units)
            {
                return new WriteOutcome(
                    IngestStatus.Rejected,
                    new FieldError($"items[{i}].quantity", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"is more than was bought and not yet refunded of {line.Sku} ({units - refunded[line.Sku] + line.Quantity} of {units})")));
            }
        }

        return null;
    }

    private static void Close(WriteUnit unit, CustomerEntity row, CustomerState state, ref bool firstUnit, List<WriteUnit> units)
    {
        unit.Row = row.Copy();
        unit.RowIsNew = firstUnit && state.Row is null;

        // From the rows just read plus this round's changes so far: no read of the summary row itself.
        unit.Summary = CustomerSummaryRow.Of(unit.CustomerId, unit.Row, state.Transactions.Values).ToEntity(row.PartitionKey);
        unit.SummaryBytes = CustomerSummaryRow.SizeOf(unit.Summary);
        firstUnit = false;
        units.Add(unit);
    }

    /// <summary>What a refund, cancel or lines file changes on a stored purchase row; a merge leaves the rest.</summary>
    private static TableEntity Changes(TransactionEntity purchase)
    {
        var changes = new TableEntity(purchase.PartitionKey, purchase.RowKey)
        {
            [nameof(TransactionEntity.RefundedScaled)] = purchase.RefundedScaled,
            [nameof(TransactionEntity.Cancelled)] = purchase.Cancelled,
        };
        if (purchase.RefundedItemsJson is { } refunded)
        {
            changes[nameof(TransactionEntity.RefundedItemsJson)] = refunded;
        }

        if (purchase.LinesAttached)
        {
            changes[nameof(TransactionEntity.ItemsJson)] = purchase.ItemsJson;
            changes[nameof(TransactionEntity.LinesAttached)] = true;
        }

        return changes;
    }

    /// <returns>False when a concurrent writer got in the way; the units not committed are left open.</returns>
    private async Task<bool> SubmitAsync(
        List<WriteUnit> units,
        Dictionary<string, CustomerState> states,
        WriteOutcome?[] statuses,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        var etags = states.Where(pair => pair.Value.Row is not null).ToDictionary(pair => pair.Key, pair => pair.Value.Row!.ETag, StringComparer.Ordinal);
        var batch = new List<WriteUnit>();
        var customersInBatch = new HashSet<string>(StringComparer.Ordinal);
        var size = 0;
        var bytes = 0;
        foreach (var unit in units)
        {
            // Summary rows are the large part of a batch; the service takes at most 4 MiB per transaction.
            if (size + unit.Size > MaxActions || bytes + unit.SummaryBytes > CustomerSummaryRow.MaxBytesPerBatch || customersInBatch.Contains(unit.CustomerId))
            {
                if (!await SubmitBatchAsync(batch, etags, statuses, progress, cancellationToken))
                {
                    return false;
                }

                batch.Clear();
                customersInBatch.Clear();
                size = 0;
                bytes = 0;
            }

            batch.Add(unit);
            customersInBatch.Add(unit.CustomerId);
            size += unit.Size;
            bytes += unit.SummaryBytes;
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
        // Consent changes first, keyed by the change itself: a batch that then fails leaves a row the re-plan
        // writes again (same key), and a history row is never missing for a change that is stored.
        var consents = batch.SelectMany(unit => unit.Consents).DistinctBy(c => c.RowKey, StringComparer.Ordinal).ToList();
        foreach (var chunk in consents.Chunk(MaxActions))
        {
            await tables.Consent.SubmitTransactionAsync(chunk.Select(c => new TableTransactionAction(TableTransactionActionType.UpsertReplace, c)), cancellationToken);
        }

        var actions = new List<TableTransactionAction>(MaxActions);
        var rowActionIndex = new int[batch.Count];
        for (var u = 0; u < batch.Count; u++)
        {
            var unit = batch[u];
            actions.AddRange(unit.Adds.Select(add => new TableTransactionAction(TableTransactionActionType.Add, add)));
            actions.AddRange(unit.Updates.Values.Select(purchase => new TableTransactionAction(
                TableTransactionActionType.UpdateMerge,
                Changes(purchase),
                purchase.ETag)));
            rowActionIndex[u] = actions.Count;
            actions.Add(unit.RowIsNew
                ? new TableTransactionAction(TableTransactionActionType.Add, unit.Row)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, unit.Row, etags[unit.CustomerId]));
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, unit.Summary));
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
            for (var k = 0; k < unit.Items.Count; k++)
            {
                statuses[unit.Items[k]] = unit.Outcomes[k];
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
