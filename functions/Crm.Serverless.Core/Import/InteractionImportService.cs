using System.Diagnostics;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Import;

/// <summary>
/// Bulk backfill of an interactions export (<c>crm import --interactions FILE</c>) through the window loop
/// purchases take (<see cref="ImportWindow{TWrite}"/>): windows of rows, each partition read whole in pages and
/// written in 100-entity batches; running it again resumes (stored rows come back as duplicates).
/// </summary>
public sealed class InteractionImportService(InteractionCsvReader reader, InteractionIngestService ingest, StorageRequestCounter counter, ILogger<InteractionImportService> logger)
{
    public async Task<ImportReport> ImportAsync(string path, CsvReadOptions? csv, int parallelism, int windowRows, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var requestsBefore = counter.Count;
        var window = new ImportWindow<Interaction>(
            windowRows,
            (writes, itemProgress) => ingest.WriteImportWindowAsync(writes, parallelism, itemProgress, cancellationToken),
            static interaction => interaction.CustomerId,
            "interactionId: " + InteractionIngestService.ConflictMessage,
            progress);
        var rows = 0;
        using (var file = CsvItemReader.OpenFile(path))
        {
            foreach (var item in reader.Read(file, csv))
            {
                rows++;
                await window.AddAsync(item, path, static interaction => interaction);
            }
        }

        await window.FlushAsync();

        var report = new ImportReport(0, 0, window.Stored, window.AlreadyStored, window.Rejections, counter.Count - requestsBefore, stopwatch.Elapsed, null, window.Updated, window.Stale)
        {
            InteractionRows = rows,
        };
        logger.LogInformation(
            "Interaction import finished: {Rows} rows, {Stored} stored, {Updated} updated, {AlreadyStored} already stored, {Stale} stale, {Rejected} rejected, {Requests} storage requests in {Elapsed}",
            rows, report.Stored, report.Updated, report.AlreadyStored, report.Stale, report.Rejections.Count, report.StorageRequests, report.Elapsed);
        return report;
    }
}
