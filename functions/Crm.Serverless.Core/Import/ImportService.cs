using System.Diagnostics;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Import;

public sealed record ImportRequest(string TransactionsPath, string? ContactsPath = null, int Parallelism = 4);

/// <summary>A row that was not stored: where it is and why.</summary>
public sealed record ImportRejection(string File, int Line, string? CustomerId, IngestStatus Status, string Reason);

public sealed record ImportReport(
    int TransactionRows,
    int ContactRows,
    int Stored,
    int AlreadyStored,
    IReadOnlyList<ImportRejection> Rejections,
    long StorageRequests,
    TimeSpan Elapsed)
{
    public double RowsPerSecond => Elapsed.TotalSeconds > 0 ? (TransactionRows + ContactRows) / Elapsed.TotalSeconds : 0;

    public double RequestsPerTransaction => TransactionRows > 0 ? (double)StorageRequests / TransactionRows : 0;
}

/// <summary>
/// Bulk backfill from a shop export. Each partition is read once (whole, in pages) and written in 100-entity
/// batches, so a run costs far less than one request per row. Re-running after an interruption is the resume:
/// rows already stored come back as duplicates and only the rest is written.
/// </summary>
public sealed class ImportService(CsvItemReader reader, IngestService ingest, StorageRequestCounter counter, ILogger<ImportService> logger)
{
    public async Task<ImportReport> ImportAsync(ImportRequest request, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var stopwatch = Stopwatch.StartNew();
        var requestsBefore = counter.Count;
        var rejections = new List<ImportRejection>();
        var writes = new List<PendingWrite>();
        var origins = new List<(string File, int Line)>();

        var contactRows = 0;
        if (request.ContactsPath is { } contactsPath)
        {
            using var contacts = File.OpenText(contactsPath);
            foreach (var item in reader.ReadContacts(contacts))
            {
                contactRows++;
                Collect(item, contactsPath, PendingWrite.Of, writes, origins, rejections);
            }
        }

        var transactionRows = 0;
        using (var transactions = File.OpenText(request.TransactionsPath))
        {
            foreach (var item in reader.ReadTransactions(transactions))
            {
                transactionRows++;
                Collect(item, request.TransactionsPath, PendingWrite.Of, writes, origins, rejections);
            }
        }

        var done = 0;
        var total = writes.Count;
        var itemProgress = progress is null ? null : new CountingProgress(n => progress.Report((Interlocked.Add(ref done, n), total)));
        var statuses = await ingest.WriteAsync(writes, StateLoad.WholePartition, IngestSource.Import, request.Parallelism, itemProgress, cancellationToken);

        var stored = 0;
        var alreadyStored = 0;
        for (var i = 0; i < statuses.Length; i++)
        {
            switch (statuses[i])
            {
                case IngestStatus.Accepted:
                    stored++;
                    break;
                case IngestStatus.Duplicate:
                    alreadyStored++;
                    break;
                default:
                    rejections.Add(new ImportRejection(origins[i].File, origins[i].Line, writes[i].CustomerId, statuses[i],
                        writes[i].Transaction is not null
                            ? "transactionId: already stored with different content"
                            : "customerId: already has a contact with different content"));
                    break;
            }
        }

        var report = new ImportReport(transactionRows, contactRows, stored, alreadyStored, [.. rejections.OrderBy(r => r.File, StringComparer.Ordinal).ThenBy(r => r.Line)], counter.Count - requestsBefore, stopwatch.Elapsed);
        logger.LogInformation(
            "Import finished: {Rows} rows, {Stored} stored, {AlreadyStored} already stored, {Rejected} rejected, {Requests} storage requests in {Elapsed}",
            transactionRows + contactRows, stored, alreadyStored, rejections.Count, report.StorageRequests, report.Elapsed);
        return report;
    }

    private static void Collect<T>(
        ParsedItem<T> item,
        string file,
        Func<T, PendingWrite> toWrite,
        List<PendingWrite> writes,
        List<(string File, int Line)> origins,
        List<ImportRejection> rejections)
        where T : class
    {
        if (item.Value is { } value)
        {
            writes.Add(toWrite(value));
            origins.Add((file, item.Index));
        }
        else
        {
            rejections.Add(new ImportRejection(file, item.Index, item.CustomerId, IngestStatus.Rejected, string.Join("; ", item.Errors.Select(e => $"{e.Field}: {e.Message}"))));
        }
    }

    /// <summary>Reports on the calling thread; <see cref="Progress{T}"/> would post to a thread pool and reorder.</summary>
    private sealed class CountingProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
