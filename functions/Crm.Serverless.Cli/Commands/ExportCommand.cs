using System.CommandLine;
using Crm.Serverless.Core.Export;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Crm.Serverless.Cli.Commands;

/// <summary><c>crm export --out FILE</c>: one CSV row per customer.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var output = new Option<FileInfo>("--out") { Description = "CSV file to write", Required = true };
        var command = new Command("export", "Write per-customer results as CSV.") { output };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var host = CliHost.Build();
            await host.StartAsync(cancellationToken);
            await RunAsync(host.Services, parse.GetValue(output)!, cancellationToken);
            return 0;
        });
        return command;
    }

    public static async Task RunAsync(IServiceProvider services, FileInfo output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Directory?.Create();
        int rows;
        await using (var writer = output.CreateText())
        {
            rows = await services.GetRequiredService<CustomerCsvExporter>().WriteAsync(writer, cancellationToken);
        }

        Console.WriteLine($"Export: {rows:N0} customers written to {output.FullName}");
    }
}
