using System.Diagnostics;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Import;

/// <param name="WindowRows">
/// Rows read before they are written. Memory holds one window, not the file, so it stays bounded however large
/// the export; each window re-reads the partitions it touches, so fewer, larger windows cost fewer requests.
/// </param>
/// <param name="Csv">How the files write numbers (decimal comma); the delimiter is taken from each header.</param>
public sealed record ImportRequest(string TransactionsPath, string? ContactsPath = null, int Parallelism = 4, int WindowRows = 1_000_000, CsvReadOptions? Csv = null);

/// <summary>A row that was not stored: where it is and why.</summary>
public sealed record ImportRejection(string File, int Line, string? CustomerId, IngestStatus Status, string Reason)
{
    /// <summary>A row's errors as one reason: <c>field: message; field: message</c>.</summary>
    public static string Describe(IReadOnlyList<FieldError> errors) => string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}"));
}

public sealed record ImportReport(
    int TransactionRows,
    int ContactRows,
    int Stored,
    int AlreadyStored,
    IReadOnlyList<ImportRejection> Rejections,
    long StorageRequests,
    TimeSpan Elapsed,
    string? Currency = null,
    int Updated = 0,
    int Stale = 0,
    int LineRows = 0)
{
    /// <summary>Rows of an interactions file (<see cref="InteractionImportService"/>).</summary>
    public int InteractionRows { get; init; }

    /// <summary>Rows read that were neither stored nor already stored.</summary>
    public bool NothingUsable => TransactionRows + ContactRows + LineRows + InteractionRows > 0 && Stored + AlreadyStored + Updated + Stale == 0;

    /// <summary>How many rows were refused for each reason, most frequent first: what a person reads instead of the list.</summary>
    public IReadOnlyList<(string Reason, int Rows)> RejectionsByReason
        => [.. Rejections.GroupBy(r => r.Reason, StringComparer.Ordinal).Select(g => (g.Key, g.Count())).OrderByDescending(g => g.Item2).ThenBy(g => g.Key, StringComparer.Ordinal)];

    public double RowsPerSecond => Elapsed.TotalSeconds > 0 ? (TransactionRows + ContactRows) / Elapsed.TotalSeconds : 0;

    public double RequestsPerTransaction => TransactionRows > 0 ? (double)StorageRequests / TransactionRows : 0;
}

/// <summary>
/// Bulk backfill from a shop export. Each partition is read once (whole, in pages) and written in 100-entity
/// batches, so a run costs far less than one request per row. Re-running after an interruption is the resume:
/// rows already stored come back as duplicates and only the rest is written. A purchase in another currency than
/// the store's is refused per row unless it carries amountInReportingCurrency; a store without a currency adopts
/// the first valid row's (<see cref="StoreCurrency"/>).
/// </summary>
public sealed class ImportService(CsvItemReader reader, IngestService ingest, StoreCurrency storeCurrency, StorageRequestCounter counter, ILogger<ImportService> logger)
{
    public async Task<ImportReport> ImportAsync(ImportRequest request, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var stopwatch = Stopwatch.StartNew();
        var requestsBefore = counter.Count;
        var window = new ImportWindow<PendingWrite>(
            request.WindowRows,
            (writes, itemProgress) => ingest.WriteAsync(writes, StateLoad.WholePartition, IngestSource.Import, request.Parallelism, itemProgress, cancellationToken),
            static write => write.CustomerId,
            "transactionId: already stored with different content",
            progress);

        var contactRows = 0;
        if (request.ContactsPath is { } contactsPath)
        {
            using var contacts = CsvItemReader.OpenFile(contactsPath);
            foreach (var item in reader.ReadContacts(contacts, request.Csv))
            {
                contactRows++;
                await window.AddAsync(item, contactsPath, PendingWrite.Of);
            }
        }

        var transactionRows = 0;
        string? currency = null;
        var looked = false;
        using (var transactions = CsvItemReader.OpenFile(request.TransactionsPath))
        {
            foreach (var item in reader.ReadTransactions(transactions, request.Csv))
            {
                transactionRows++;

                // Only a row without a conversion can give a store its currency, so look again only for such a row.
                if (item.Value is { } valid && currency is null && (!looked || valid.AmountInReportingCurrency is null))
                {
                    currency = await storeCurrency.ResolveAsync([valid], cancellationToken);
                    looked = true;
                }

                var refusal = item.Value is { } transaction ? StoreCurrency.Check(transaction, currency, "") : null;
                var checkedItem = refusal is null ? item : item with { Value = null, Errors = [refusal] };
                await window.AddAsync(checkedItem, request.TransactionsPath, t => PendingWrite.Of(t, currency!));
            }
        }

        await window.FlushAsync();

        var report = new ImportReport(transactionRows, contactRows, window.Stored, window.AlreadyStored, window.Rejections, counter.Count - requestsBefore, stopwatch.Elapsed, currency ?? await storeCurrency.GetAsync(cancellationToken), window.Updated, window.Stale);
        logger.LogInformation(
            "Import finished: {Rows} rows, {Stored} stored, {Updated} updated, {AlreadyStored} already stored, {Stale} stale, {Rejected} rejected, {Requests} storage requests in {Elapsed}",
            transactionRows + contactRows, report.Stored, report.Updated, report.AlreadyStored, report.Stale, report.Rejections.Count, report.StorageRequests, report.Elapsed);
        return report;
    }

    /// <summary>
    /// A lines file (<c>transactionId,customerId,sku,quantity,unitPrice[,category,unitCost]</c>): the rows of one
    /// purchase are gathered and attached to the stored purchase in one write. Idempotent per purchase: a purchase
    /// that already has the same lines (from this file before, or from its JSON) is a duplicate, other lines are a
    /// conflict and nothing is overwritten, a purchase not stored is a rejected row. One bad row rejects every row of
    /// its purchase, so a purchase never gets part of its lines. A purchase's rows must fall in one window of
    /// <see cref="ImportRequest.WindowRows"/> rows (list them together, as exports do).
    /// </summary>
    public async Task<ImportReport> ImportLinesAsync(string path, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken, int parallelism = 4, int windowRows = 1_000_000, CsvReadOptions? csv = null)
    {
        var stopwatch = Stopwatch.StartNew();
        var requestsBefore = counter.Count;
        var rejections = new List<ImportRejection>();
        var groups = new Dictionary<(string CustomerId, string TransactionId), LineGroup>();
        int rows = 0, inWindow = 0, stored = 0, alreadyStored = 0;
        using (var file = CsvItemReader.OpenFile(path))
        {
            foreach (var item in CsvItemReader.ReadLineItems(file, csv))
            {
                rows++;
                inWindow++;
                if (item.CustomerId is null || item.Id is null)
                {
                    rejections.Add(new ImportRejection(path, item.Index, item.CustomerId, IngestStatus.Rejected, ImportRejection.Describe(item.Errors)));
                }
                else
                {
                    var key = (item.CustomerId, item.Id);
                    if (!groups.TryGetValue(key, out var group))
                    {
                        group = new LineGroup(item.CustomerId, item.Id);
                        groups[key] = group;
                    }

                    group.Add(item);
                }

                if (inWindow >= Math.Max(1, windowRows))
                {
                    await FlushAsync();
                }
            }
        }

        await FlushAsync();

        async Task FlushAsync()
        {
            var writable = new List<LineGroup>();
            foreach (var group in groups.Values)
            {
                if (group.Refusal() is { } refusal)
                {
                    rejections.AddRange(group.Lines.Select(line => new ImportRejection(path, line, group.CustomerId, IngestStatus.Rejected, refusal(line))));
                }
                else
                {
                    writable.Add(group);
                }
            }

            var statuses = await ingest.WriteAsync(
                [.. writable.Select(g => PendingWrite.OfLines(g.CustomerId, g.TransactionId, g.Items))], StateLoad.WholePartition, IngestSource.Import, parallelism, null, cancellationToken);
            for (var i = 0; i < statuses.Length; i++)
            {
                var group = writable[i];
                switch (statuses[i].Status)
                {
                    case IngestStatus.Accepted:
                        stored += group.Lines.Count;
                        break;
                    case IngestStatus.Duplicate:
                        alreadyStored += group.Lines.Count;
                        break;
                    default:
                        var reason = statuses[i].Error is { } error
                            ? $"{error.Field}: {error.Message}"
                            : "transactionId: the purchase already has different lines; stored lines are never overwritten";
                        rejections.AddRange(group.Lines.Select(line => new ImportRejection(path, line, group.CustomerId, statuses[i].Status, reason)));
                        break;
                }
            }

            progress?.Report((rows, rows));
            groups.Clear();
            inWindow = 0;
        }

        var report = new ImportReport(0, 0, stored, alreadyStored, [.. rejections.OrderBy(r => r.Line)], counter.Count - requestsBefore, stopwatch.Elapsed, await storeCurrency.GetAsync(cancellationToken), LineRows: rows);
        logger.LogInformation(
            "Lines import finished: {Rows} rows, {Stored} stored, {AlreadyStored} already stored, {Rejected} rejected, {Requests} storage requests in {Elapsed}",
            rows, stored, alreadyStored, rejections.Count, report.StorageRequests, report.Elapsed);
        return report;
    }

    /// <summary>The rows of one purchase in a lines file: the lines when every row is valid, else why not.</summary>
    private sealed class LineGroup(string customerId, string transactionId)
    {
        private readonly List<(int Line, IReadOnlyList<FieldError> Errors)> _bad = [];

        public string CustomerId { get; } = customerId;

        public string TransactionId { get; } = transactionId;

        public List<int> Lines { get; } = [];

        public List<LineItem> Items { get; } = [];

        public void Add(ParsedItem<LineRow> row)
        {
            Lines.Add(row.Index);
            if (row.Value is { } value)
            {
                Items.Add(value.Item);
            }
            else
            {
                _bad.Add((row.Index, row.Errors));
            }
        }

        /// <summary>Per line, why the purchase's lines are refused; null when they can be written.</summary>
        public Func<int, string>? Refusal()
        {
            if (_bad.Count > 0)
            {
                var first = _bad[0].Line;
                var reasons = _bad.ToDictionary(b => b.Line, b => ImportRejection.Describe(b.Errors));
                return line => reasons.TryGetValue(line, out var reason) ? reason : $"line {first} of the same purchase is invalid; a purchase's lines are stored all or none";
            }

            if (Items.Count > TransactionRules.MaxItems)
            {
                return _ => $"items: a purchase has at most {TransactionRules.MaxItems} line items";
            }

            return EntityMapper.StoredLength(EntityMapper.ItemsJson(Items)) > EntityMapper.MaxStoredJsonChars
                ? _ => $"items: the purchase's lines take more than the {EntityMapper.MaxStoredJsonChars} characters a record holds"
                : null;
        }
    }
}
