using System.Diagnostics;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Import;

/// <summary>
/// Bulk backfill of an interactions export (<c>crm import --interactions FILE</c>), the way
/// <see cref="ImportService"/> backfills purchases: windows of rows, each partition read whole in pages and
/// written in 100-entity batches; running it again resumes (stored rows come back as duplicates).
/// </summary>
public sealed class InteractionImportService(InteractionCsvReader reader, InteractionIngestService ingest, StorageRequestCounter counter, ILogger<InteractionImportService> logger)
{
    public async Task<ImportReport> ImportAsync(string path, CsvReadOptions? csv, int parallelism, int windowRows, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var requestsBefore = counter.Count;
        var rejections = new List<ImportRejection>();
        var writes = new List<Interaction>();
        var lines = new List<int>();
        int rows = 0, done = 0, stored = 0, alreadyStored = 0, updated = 0, stale = 0;
        using (var file = CsvItemReader.OpenFile(path))
        {
            foreach (var item in reader.Read(file, csv))
            {
                rows++;
                if (item.Value is { } interaction)
                {
                    writes.Add(interaction);
                    lines.Add(item.Index);
                }
                else
                {
                    rejections.Add(new ImportRejection(path, item.Index, item.CustomerId, IngestStatus.Rejected, string.Join("; ", item.Errors.Select(e => $"{e.Field}: {e.Message}"))));
                }

                if (writes.Count >= Math.Max(1, windowRows))
                {
                    await FlushAsync();
                }
            }
        }

        await FlushAsync();

        async Task FlushAsync()
        {
            if (writes.Count == 0)
            {
                return;
            }

            var total = done + writes.Count;
            var itemProgress = progress is null ? null : new Progress(n => progress.Report((Interlocked.Add(ref done, n), total)));
            var statuses = await ingest.WriteAsync(writes, StateLoad.WholePartition, IngestSource.Import, parallelism, itemProgress, cancellationToken);
            for (var i = 0; i < statuses.Length; i++)
            {
                switch (statuses[i].Status)
                {
                    case IngestStatus.Accepted:
                        stored++;
                        break;
                    case IngestStatus.Duplicate:
                        alreadyStored++;
                        break;
                    case IngestStatus.Updated:
                        updated++;
                        break;
                    case IngestStatus.Stale:
                        stale++;
                        break;
                    default:
                        rejections.Add(new ImportRejection(path, lines[i], writes[i].CustomerId, statuses[i].Status, "interactionId: " + InteractionIngestService.ConflictMessage));
                        break;
                }
            }

            done = total;
            writes.Clear();
            lines.Clear();
        }

        var report = new ImportReport(0, 0, stored, alreadyStored, [.. rejections.OrderBy(r => r.Line)], counter.Count - requestsBefore, stopwatch.Elapsed, null, updated, stale)
        {
            InteractionRows = rows,
        };
        logger.LogInformation(
            "Interaction import finished: {Rows} rows, {Stored} stored, {Updated} updated, {AlreadyStored} already stored, {Stale} stale, {Rejected} rejected, {Requests} storage requests in {Elapsed}",
            rows, stored, updated, alreadyStored, stale, rejections.Count, report.StorageRequests, report.Elapsed);
        return report;
    }

    /// <summary>Reports on the calling thread, in order.</summary>
    private sealed class Progress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
