using System.CommandLine;
using Crm.Serverless.Core.Export;
using Crm.Serverless.Ml.Segmentation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Crm.Serverless.Cli.Commands;

/// <summary><c>crm export --out FILE</c>: one CSV row per customer.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var output = new Option<FileInfo>("--out") { Description = "CSV file to write", Required = true };
        var segment = new Option<string?>("--segment") { Description = "Only this segment's customers, with their scores (e.g. champions, at-risk)" };
        var marketable = new Option<bool>("--marketable") { Description = "Only customers whose marketing consent is true now (read from the customer rows, not the nightly scores)" };
        var command = new Command("export", "Write per-customer results as CSV: the 360-degree fields and the latest scores.") { output, segment, marketable };
        command.SetAction(async (parse, cancellationToken) =>
        {
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
