using System.CommandLine;
using System.Globalization;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Core.Products;
using Crm.Serverless.Core.Recommendations;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Local;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Crm.Serverless.Cli.Commands;

/// <summary>
/// <c>crm demo</c>: the whole pipeline on built-in defaults — Azurite started for you, the CDNOW data set shipped
/// in the repository — or on the user's own files. Safe to run again: nothing is stored twice.
/// </summary>
internal static class DemoCommand
{
    public const string DefaultDataset = "data/cdnow/cdnow_master.csv";

    public static Command Create()
    {
        var transactions = new Option<FileInfo?>("--transactions") { Description = $"Transactions CSV (default: {DefaultDataset}, CDNOW)" };
        var contacts = new Option<FileInfo?>("--contacts") { Description = "Contacts CSV" };
        var lines = new Option<FileInfo?>("--lines") { Description = "Line items CSV (transactionId,customerId,sku,quantity,unitPrice[,category,unitCost]): products and recommendations too" };
        var asOf = DateOption.Create();
        var export = new Option<FileInfo?>("--export") { Description = "Write per-customer results to this CSV file" };
        var report = new Option<FileInfo?>("--report") { Description = $"Write the run's HTML report here (default: {ReportCommand.DefaultPath})" };
        var decimalComma = CsvOption.CreateDecimalComma();
        var command = new Command("demo", "Run the pipeline end to end on Azurite: import, train, score, segment, export, report.")
        {
            transactions, contacts, lines, asOf, export, report, decimalComma,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var root = CliHost.RepositoryRoot();
            var transactionsFile = parse.GetValue(transactions) ?? new FileInfo(Path.Combine(root, DefaultDataset));
            // One store per data set, so a demo on another file never mixes its customers or models with this one.
            CliHost.Store = CliHost.Store.OrNamedAfter(transactionsFile);
            return await RunAsync(root, transactionsFile, parse.GetValue(contacts), parse.GetValue(lines), parse.GetValue(asOf), parse.GetValue(export), parse.GetValue(report) ?? ReportCommand.DefaultFile(), CsvOption.Read(parse, decimalComma), cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(string root, FileInfo transactions, FileInfo? contacts, FileInfo? lines, DateOnly? asOf, FileInfo? export, FileInfo report, CsvReadOptions csv, CancellationToken cancellationToken)
    {
        ImportCommand.RequireReadable(transactions, contacts);
        if (lines is not null)
        {
            CsvItemReader.OpenFile(lines.FullName).Dispose();
        }

        Console.WriteLine("Crm.Serverless demo");
        var started = await AzuriteLauncher.EnsureRunningAsync(root, Console.Out, cancellationToken);
        Console.WriteLine(started ? "Storage: Azurite started on 127.0.0.1:10000-10002" : "Storage: reusing the Azurite already listening on 127.0.0.1:10000-10002");
        Console.WriteLine($"Data: {transactions.FullName}" + (contacts is null ? "" : $" and {contacts.FullName}"));
        Console.WriteLine("As of: " + (asOf?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "the latest purchase day in the data"));

        using var host = CliHost.Build();
        await host.StartAsync(cancellationToken);
        var imported = await ImportCommand.RunAsync(host.Services, transactions, contacts, csv, cancellationToken);
        await ImportCommand.WriteRejectionsAsync(imported, new FileInfo(Path.Combine(report.DirectoryName ?? ".", "rejected.csv")), cancellationToken);
        if (imported.NothingUsable)
        {
            return await ImportCommand.NothingUsableAsync(imported);
        }

        if (lines is not null)
        {
            await ImportCommand.RunLinesAsync(host.Services, lines, csv, cancellationToken);
        }

        await ImportCommand.PrintStoredAsync(host.Services, cancellationToken);
        try
        {
            await TrainCommand.RunAsync(host.Services, asOf, train: true, cancellationToken);
            await PrintTopProductsAsync(host.Services, cancellationToken);
            await PrintRecommendationExampleAsync(host.Services, cancellationToken);
            await ReportCommand.WriteAsync(host.Services, report, rebuild: false, cancellationToken);
        }
        catch (InsufficientDataException exception)
        {
            // The import stands; a shop this small just cannot be modelled yet.
            Console.WriteLine("Not scored: " + exception.Message);
        }

        if (export is not null)
        {
            await ExportCommand.RunAsync(host.Services, export, null, cancellationToken);
        }

        await host.StopAsync(cancellationToken);
        return 0;
    }

    /// <summary>When the data has line items, the run's top products by revenue (the report has tops and flops).</summary>
    private static async Task PrintTopProductsAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        if (await services.GetRequiredService<RunStore>().GetLatestCompleteAsync(cancellationToken) is not { } run
            || await services.GetRequiredService<ProductFactsService>().ReadProductsAsync(run.RunId, cancellationToken) is not { Tops.Count: > 0 } facts)
        {
            return;
        }

        var bySku = facts.Products.ToDictionary(p => p.Sku, StringComparer.Ordinal);
        Console.WriteLine("Top products by revenue: " +
            string.Join(", ", facts.Tops.Take(5).Select(sku => string.Create(CultureInfo.InvariantCulture, $"{sku} ({bySku[sku].Revenue:N0}, {bySku[sku].Buyers:N0} buyers)"))) +
            " (all: `crm export --products FILE`)");
    }

    /// <summary>When the data has line items, one customer's next best products, so the demo shows what they look like.</summary>
    private static async Task PrintRecommendationExampleAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        if (await services.GetRequiredService<RecommendationReader>().ExampleAsync(cancellationToken) is { } example)
        {
            Console.WriteLine($"Next best products for {example.CustomerId}: " +
                string.Join(", ", example.Items.Take(5).Select(i => string.Create(CultureInfo.InvariantCulture, $"{i.Sku} ({i.Score:0.00})"))) +
                " (all: `crm export --recommendations FILE`)");
        }
    }
}
