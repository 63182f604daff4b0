using System.CommandLine;
using Crm.Serverless.Core.Export;
using Crm.Serverless.Core.Recommendations;
using Crm.Serverless.Ml.Segmentation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Crm.Serverless.Cli.Commands;

/// <summary><c>crm export --out FILE</c>: one CSV row per customer; <c>--products FILE</c>, <c>--discounts FILE</c>, <c>--deal-seekers FILE</c>: the latest run's product and discount artefacts; <c>--recommendations FILE</c>: customerId,rank,sku,score.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var output = new Option<FileInfo?>("--out") { Description = "CSV file to write: one row per customer" };
        var products = new Option<FileInfo?>("--products") { Description = "CSV file to write the latest run's product facts to (tops and flops marked)" };
        var discounts = new Option<FileInfo?>("--discounts") { Description = "CSV file to write the latest run's discount response by segment to" };
        var dealSeekers = new Option<FileInfo?>("--deal-seekers") { Description = "CSV file to write the latest run's deal seekers to (>= 3 orders, >= 60% of them discounted)" };
        var recommendations = new Option<FileInfo?>("--recommendations") { Description = "CSV file to write the next best products to: customerId,rank,sku,score (latest run)" };
        var segment = new Option<string?>("--segment") { Description = "Only this segment's customers, with their scores (e.g. champions, at-risk)" };
        var marketable = new Option<bool>("--marketable") { Description = "Only customers whose marketing consent is true now (read from the customer rows, not the nightly scores)" };
        var command = new Command("export", "Write per-customer results as CSV: the 360-degree fields and the latest scores.") { output, segment, marketable, products, discounts, dealSeekers, recommendations };
        command.Validators.Add(result =>
        {
            if (result.GetResult(output) is null && result.GetResult(products) is null && result.GetResult(discounts) is null && result.GetResult(dealSeekers) is null && result.GetResult(recommendations) is null)
            {
                result.AddError("Option '--out' is required (or --products, --discounts, --deal-seekers or --recommendations FILE for the run's product, discount and recommendation results).");
            }
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            var artefacts = (Products: parse.GetValue(products), Discounts: parse.GetValue(discounts), DealSeekers: parse.GetValue(dealSeekers));
            var recommendationsFile = parse.GetValue(recommendations);

            var name = parse.GetValue(segment);
            if (name is not null && RfmSegmentTable.FromSlug(name) is null)
            {
                await Console.Error.WriteLineAsync($"No segment '{name}'. Segments: {string.Join(", ", RfmSegmentTable.Slugs)}.");
                return CrmCommandLine.UsageError;
            }

            using var host = CliHost.Build();
            await host.StartAsync(cancellationToken);
            if (artefacts is not (null, null, null))
            {
                var code = await ArtefactsAsync(host.Services, artefacts.Products, artefacts.Discounts, artefacts.DealSeekers, cancellationToken);
                if (code != 0)
                {
                    return code;
                }
            }

            if (recommendationsFile is not null)
            {
                var code = await RecommendationsAsync(host.Services, recommendationsFile, cancellationToken);
                if (code != 0)
                {
                    return code;
                }
            }

            return parse.GetValue(output) is { } file
                ? await RunAsync(host.Services, file, name is null ? null : RfmSegmentTable.FromSlug(name)!.Value.Slug(), cancellationToken, parse.GetValue(marketable))
                : 0;
        });
        return command;
    }

    public static async Task<int> ArtefactsAsync(IServiceProvider services, FileInfo? products, FileInfo? discounts, FileInfo? dealSeekers, CancellationToken cancellationToken)
    {
        var exporter = services.GetRequiredService<ProductCsvExporter>();
        if (products is not null)
        {
            products.Directory?.Create();
            int rows;
            await using (var writer = products.CreateText())
            {
                rows = await exporter.WriteProductsAsync(writer, cancellationToken);
            }

            if (rows < 0)
            {
                return await MissingAsync(rows, "product facts");
            }

            Console.WriteLine($"Export: {rows:N0} products written to {products.FullName}");
        }

        if (discounts is not null || dealSeekers is not null)
        {
            discounts?.Directory?.Create();
            dealSeekers?.Directory?.Create();
            int rows;
            await using (var segmentWriter = discounts?.CreateText())
            await using (var seekerWriter = dealSeekers?.CreateText())
            {
                rows = await exporter.WriteDiscountsAsync(segmentWriter, seekerWriter, cancellationToken);
            }

            if (rows < 0)
            {
                return await MissingAsync(rows, "discount response");
            }

            if (discounts is not null)
            {
                Console.WriteLine($"Export: discount response of {rows:N0} segments written to {discounts.FullName}");
            }

            if (dealSeekers is not null)
            {
                Console.WriteLine($"Export: deal seekers written to {dealSeekers.FullName}");
            }
        }

        return 0;
    }

    private static async Task<int> MissingAsync(int rows, string what)
    {
        await Console.Error.WriteLineAsync(rows == -1
            ? "No scoring run has completed yet: run `crm score --train` first."
            : $"The latest run has no {what} (it ran before they existed): run `crm score` again.");
        return 1;
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

        // Written beside the target and moved over it only when complete: a failure half-way leaves no file that
        // looks like an export, and an earlier export at that path stays as it was.
        var partial = output.FullName + ".partial";
        int rows;
        try
        {
            await using (var writer = File.CreateText(partial))
            {
                rows = segment is null
                    ? await exporter.WriteAllAsync(writer, cancellationToken, marketableOnly)
                    : await exporter.WriteSegmentAsync(writer, segment, cancellationToken, marketableOnly);
            }

            if (rows >= 0)
            {
                File.Move(partial, output.FullName, overwrite: true);
            }
        }
        finally
        {
            // Gone after the move; what a failure or "no run yet" left behind.
            File.Delete(partial);
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
