using System.CommandLine;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Crm.Serverless.Cli.Commands;

/// <summary><c>crm import [--transactions FILE] [--contacts FILE] [--lines FILE] [--interactions FILE]</c>: bulk backfill, resumable by running it again.</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var transactions = new Option<FileInfo?>("--transactions") { Description = "CSV: transactionId,customerId,timestamp,amount,currency[,quantity,amountInReportingCurrency,kind,refersTo,discountAmount,couponCode,campaignId]" };
        var lines = new Option<FileInfo?>("--lines") { Description = "CSV: transactionId,customerId,sku,quantity,unitPrice[,category,unitCost]: line items of stored purchases (after --transactions when both are given)" };
        var contacts = new Option<FileInfo?>("--contacts") { Description = "CSV: customerId[,email,firstName,lastName,country,createdAt,marketingConsent,updatedAt]" };
        var interactions = new Option<FileInfo?>("--interactions") { Description = "CSV: interactionId,customerId,timestamp,channel,direction,type[,rating,resolvedAt,campaignId,subject]" };
        var rejected = new Option<FileInfo?>("--rejected") { Description = "Where to write rejected rows (default: import-rejected.csv when there are any)" };
        var decimalComma = CsvOption.CreateDecimalComma();
        var command = new Command("import", "Bulk-import a shop export into storage; run it again to resume after an interruption.")
        {
            transactions, contacts, lines, interactions, rejected, decimalComma,
        };
        command.Validators.Add(result =>
        {
            if (result.GetResult(transactions) is null && result.GetResult(lines) is null && result.GetResult(interactions) is null)
            {
                result.AddError("Option '--transactions' is required (or --lines FILE for line items alone, or --interactions FILE).");
            }
            else if (result.GetResult(transactions) is null && result.GetResult(contacts) is not null)
            {
                result.AddError("--contacts comes with --transactions.");
            }
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            var transactionsFile = parse.GetValue(transactions);
            var linesFile = parse.GetValue(lines);
            var interactionsFile = parse.GetValue(interactions);
            if (transactionsFile is not null)
            {
                RequireReadable(transactionsFile, parse.GetValue(contacts));
            }

            if (linesFile is not null)
            {
                CsvItemReader.OpenFile(linesFile.FullName).Dispose();
            }

            if (interactionsFile is not null)
            {
                CsvItemReader.OpenFile(interactionsFile.FullName).Dispose();
            }

            using var host = CliHost.Build();
            await host.StartAsync(cancellationToken);
            var csv = CsvOption.Read(parse, decimalComma);
            var reports = new List<ImportReport>();
            if (transactionsFile is not null)
            {
                reports.Add(await RunAsync(host.Services, transactionsFile, parse.GetValue(contacts), csv, cancellationToken));
            }

            if (linesFile is not null)
            {
                reports.Add(await RunLinesAsync(host.Services, linesFile, csv, cancellationToken));
            }

            var purchases = reports.Count switch
            {
                0 => null,
                1 => reports[0],
                _ => reports[0] with { Rejections = [.. reports.SelectMany(r => r.Rejections)] },
            };
            if (interactionsFile is not null)
            {
                reports.Add(await InteractionImport.RunAsync(host.Services, interactionsFile, csv, cancellationToken));
            }

            var report = purchases is null ? reports[^1] : interactionsFile is null ? purchases : InteractionImport.Combine(purchases, reports[^1]);
            await WriteRejectionsAsync(report, parse.GetValue(rejected) ?? new FileInfo("import-rejected.csv"), cancellationToken);
            return reports.Any(r => r.NothingUsable) ? await NothingUsableAsync(report) : 0;
        });
        return command;
    }

    /// <summary>Before storage is touched: a missing or unreadable file is the user's to fix, whatever storage's state.</summary>
    public static void RequireReadable(FileInfo transactions, FileInfo? contacts)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        CsvItemReader.OpenFile(transactions.FullName).Dispose();
        if (contacts is not null)
        {
            CsvItemReader.OpenFile(contacts.FullName).Dispose();
        }
    }

    /// <summary>Every row was refused: the reasons are printed above; this says what that means, for exit code 1.</summary>
    public static async Task<int> NothingUsableAsync(ImportReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        await Console.Error.WriteLineAsync(report.InteractionRows > 0 && report.TransactionRows + report.ContactRows + report.LineRows > 0
            ? "No usable rows in one of the files: all its rows were rejected (reasons above)."
            : $"No usable rows: all {report.TransactionRows + report.ContactRows + report.LineRows + report.InteractionRows:N0} rows were rejected (reasons above). Nothing was stored.");
        return 1;
    }

    /// <summary>How many distinct reasons are printed; the rest are counted (all of them are in the rejected-rows file).</summary>
    private const int ReasonLines = 20;

    public static async Task<ImportReport> RunAsync(IServiceProvider services, FileInfo transactions, FileInfo? contacts, CsvReadOptions csv, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        RequireReadable(transactions, contacts);
        var import = services.GetRequiredService<ImportService>();
        ImportReport report;
        using (var bar = new ConsoleProgressBar("Importing"))
        {
            report = await import.ImportAsync(new ImportRequest(transactions.FullName, contacts?.FullName, Csv: csv), bar, cancellationToken);
        }

        if (report.Currency is { } currency)
        {
            Console.WriteLine($"This store keeps amounts in {currency}");
        }

        Console.WriteLine($"Import: {report.TransactionRows:N0} transaction rows and {report.ContactRows:N0} contact rows read; " +
                          $"{report.Stored:N0} stored, {report.AlreadyStored:N0} already stored, {report.Rejections.Count:N0} rejected");
        if (report.Updated + report.Stale > 0)
        {
            Console.WriteLine($"        contacts: {report.Updated:N0} updated, {report.Stale:N0} stale (older than what is stored; nothing changed)");
        }

        Console.WriteLine($"        {report.StorageRequests:N0} storage requests ({report.RequestsPerTransaction:0.000} per transaction) " +
                          $"in {report.Elapsed.TotalSeconds:0.0} s ({report.RowsPerSecond:N0} rows/s)");
        PrintReasons(report);
        return report;
    }

    /// <summary>A lines file: each purchase's rows attached to the stored purchase; the same summary by reason.</summary>
    public static async Task<ImportReport> RunLinesAsync(IServiceProvider services, FileInfo lines, CsvReadOptions csv, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var import = services.GetRequiredService<ImportService>();
        ImportReport report;
        using (var bar = new ConsoleProgressBar("Importing lines"))
        {
            report = await import.ImportLinesAsync(lines.FullName, bar, cancellationToken, csv: csv);
        }

        Console.WriteLine($"Lines: {report.LineRows:N0} rows read; {report.Stored:N0} stored, {report.AlreadyStored:N0} already stored, {report.Rejections.Count:N0} rejected " +
                          $"({report.StorageRequests:N0} storage requests in {report.Elapsed.TotalSeconds:0.0} s)");
        PrintReasons(report);
        return report;
    }

    private static void PrintReasons(ImportReport report)
    {
        // One line per reason, never one per row: an export in the wrong currency has a reason for every row.
        var reasons = report.RejectionsByReason;
        foreach (var (reason, rows) in reasons.Take(ReasonLines))
        {
            Console.WriteLine($"  {rows:N0} {(rows == 1 ? "row" : "rows")}: {reason}");
        }

        if (reasons.Count > ReasonLines)
        {
            Console.WriteLine($"  ... and {reasons.Count - ReasonLines:N0} more reasons ({reasons.Skip(ReasonLines).Sum(r => r.Rows):N0} rows)");
        }
    }

    public static async Task WriteRejectionsAsync(ImportReport report, FileInfo file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(file);
        if (report.Rejections.Count == 0)
        {
            return;
        }

        file.Directory?.Create();
        await using var writer = file.CreateText();
        await writer.WriteLineAsync("file,line,customerId,status,reason");
        foreach (var r in report.Rejections)
        {
            await writer.WriteLineAsync(string.Join(',', Core.Export.CustomerCsvExporter.Escape(Path.GetFileName(r.File)), r.Line, Core.Export.CustomerCsvExporter.Escape(r.CustomerId), r.Status, Core.Export.CustomerCsvExporter.Escape(r.Reason)));
        }

        Console.WriteLine($"All {report.Rejections.Count:N0} rejected rows with their reasons: {file.FullName}");
        cancellationToken.ThrowIfCancellationRequested();
    }

    public static async Task PrintStoredAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var counts = await services.GetRequiredService<CustomerReader>().CountAsync(cancellationToken);
        Console.WriteLine($"Stored now: {counts.Transactions:N0} transactions, {counts.Customers:N0} customers ({counts.Contacts:N0} with contact details)");
    }
}
