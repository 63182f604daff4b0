using System.CommandLine;
using Crm.Serverless.Core.Export;
using Crm.Serverless.Core.Recommendations;
using Crm.Serverless.Ml.Segmentation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Crm.Serverless.Cli.Commands;

/// <summary><c>crm export --out FILE</c>: one CSV row per customer; <c>crm export --recommendations FILE</c>: customerId,rank,sku,score.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var output = new Option<FileInfo?>("--out") { Description = "CSV file to write" };
        var recommendations = new Option<FileInfo?>("--recommendations") { Description = "Write the next best products instead: customerId,rank,sku,score (latest run)" };
        var segment = new Option<string?>("--segment") { Description = "Only this segment's customers, with their scores (e.g. champions, at-risk)" };
        var marketable = new Option<bool>("--marketable") { Description = "Only customers whose marketing consent is true now (read from the customer rows, not the nightly scores)" };
        var command = new Command("export", "Write per-customer results as CSV: the 360-degree fields and the latest scores.") { output, segment, marketable, recommendations };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(output) is null) == (result.GetValue(recommendations) is null))
            {
                result.AddError("Give either --out FILE or --recommendations FILE.");
            }
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(recommendations) is { } file)
            {
                using var recommendationHost = CliHost.Build();
                await recommendationHost.StartAsync(cancellationToken);
                return await RecommendationsAsync(recommendationHost.Services, file, cancellationToken);
            }

            var name = parse.GetValue(segment);
            if (name is not null && RfmSegmentTable.FromSlug(name) is null)
            {
                await Console.Error.WriteLineAsync($"No segment '{name}'. Segments: {string.Join(", ", Enum.GetValues<RfmSegment>().Select(s => s.Slug()))}.");
                return 2;
            }

            using var host = CliHost.Build();
            await host.StartAsync(cancellationToken);
            return await RunAsync(host.Services, parse.GetValue(output)!, name is null ? null : RfmSegmentTable.FromSlug(name)!.Value.Slug(), cancellationToken, parse.GetValue(marketable));
        });
        return command;
    }

    public static async Task<int> RecommendationsAsync(IServiceProvider services, FileInfo output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Directory?.Create();
        int customers;
        await using (var writer = output.CreateText())
        {
            customers = await services.GetRequiredService<RecommendationReader>().WriteCsvAsync(writer, cancellationToken);
        }

        if (customers == 0)
        {
            await Console.Error.WriteLineAsync("No recommendations are stored yet: import purchases with line items and run `crm score --train` first.");
            return 1;
        }

        Console.WriteLine($"Export: recommendations of {customers:N0} customers written to {output.FullName}");
        return 0;
    }

    public static async Task<int> RunAsync(IServiceProvider services, FileInfo output, string? segment, CancellationToken cancellationToken, bool marketableOnly = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Directory?.Create();
        var exporter = services.GetRequiredService<CustomerCsvExporter>();
        int rows;
        await using (var writer = output.CreateText())
        {
            rows = segment is null
                ? await exporter.WriteAllAsync(writer, cancellationToken, marketableOnly)
                : await exporter.WriteSegmentAsync(writer, segment, cancellationToken, marketableOnly);
        }

        if (rows < 0)
        {
            await Console.Error.WriteLineAsync("No scoring run has completed yet: run `crm score --train` first.");
            return 1;
        }

        Console.WriteLine($"Export: {rows:N0} customers written to {output.FullName}");
        return 0;
    }
}
