using Crm.Serverless.Core.Import;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Serverless.Cli.Commands;

/// <summary>The <c>--interactions FILE</c> part of <c>crm import</c>: read, store, print one summary.</summary>
internal static class InteractionImport
{
    public static async Task<ImportReport> RunAsync(IServiceProvider services, FileInfo file, CsvReadOptions csv, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        var import = services.GetRequiredService<InteractionImportService>();
        ImportReport report;
        using (var bar = new ConsoleProgressBar("Importing interactions"))
        {
            report = await import.ImportAsync(file.FullName, csv, parallelism: 4, windowRows: 1_000_000, bar, cancellationToken);
        }

        Console.WriteLine($"Interactions: {report.InteractionRows:N0} rows read; {report.Stored:N0} stored, {report.Updated:N0} updated (resolution or rating added), " +
                          $"{report.AlreadyStored:N0} already stored, {report.Stale:N0} stale, {report.Rejections.Count:N0} rejected");
        foreach (var (reason, rows) in report.RejectionsByReason.Take(20))
        {
            Console.WriteLine($"  {rows:N0} {(rows == 1 ? "row" : "rows")}: {reason}");
        }

        return report;
    }

    /// <summary>One report for the rejected-rows file when both kinds of file were imported.</summary>
    public static ImportReport Combine(ImportReport purchases, ImportReport interactions)
    {
        ArgumentNullException.ThrowIfNull(purchases);
        ArgumentNullException.ThrowIfNull(interactions);
        return purchases with
        {
            Stored = purchases.Stored + interactions.Stored,
            AlreadyStored = purchases.AlreadyStored + interactions.AlreadyStored,
            Updated = purchases.Updated + interactions.Updated,
            Stale = purchases.Stale + interactions.Stale,
            Rejections = [.. purchases.Rejections, .. interactions.Rejections],
            InteractionRows = interactions.InteractionRows,
        };
    }
}
