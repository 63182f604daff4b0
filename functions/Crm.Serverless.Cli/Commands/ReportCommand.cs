using System.CommandLine;
using System.Globalization;
using Crm.Serverless.Reporting;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Serverless.Cli.Commands;

/// <summary>
/// <c>crm report --out FILE.html</c>: the latest complete run's report, as stored when the run completed (the page
/// <c>GET /api/report</c> serves). Rendered and stored first when the run has none, or when asked to with --rebuild.
/// </summary>
internal static class ReportCommand
{
    /// <summary>Per store, so two demos' reports do not overwrite each other; the default store's is .crm/report.html.</summary>
    public const string DefaultPath = ".crm/report-STORE.html";

    public static Command Create()
    {
        var output = new Option<FileInfo?>("--out") { Description = $"Where to write the HTML report (default: {DefaultPath} in the repository)" };
        var rebuild = new Option<bool>("--rebuild") { Description = "Render the report again from what is stored now, and store it in place of the run's report" };
        var command = new Command("report", "Write the latest run's report: one offline HTML page with charts, holdout checks and data quality.") { output, rebuild };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var host = CliHost.Build();
            await host.StartAsync(cancellationToken);
            var file = parse.GetValue(output) ?? DefaultFile();
            return await WriteAsync(host.Services, file, parse.GetValue(rebuild), cancellationToken) ? 0 : 1;
        });
        return command;
    }

    public static FileInfo DefaultFile() => new(Path.Combine(CliHost.RepositoryRoot(), ".crm", CliHost.Store.IsDefault ? "report.html" : $"report-{CliHost.Store.Name}.html"));

    /// <returns>False when no run has completed yet, so there is nothing to report.</returns>
    public static async Task<bool> WriteAsync(IServiceProvider services, FileInfo file, bool rebuild, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        var reports = services.GetRequiredService<RunReportStore>();
        if (await reports.GetLatestAsync(cancellationToken) is not { } latest)
        {
            await Console.Error.WriteLineAsync("No scoring run has completed yet: run `crm score --train` or `crm demo` first.");
            return false;
        }

        var html = latest.Html is null || rebuild
            ? await reports.PublishAsync(latest.Run, cancellationToken)
            : latest.Html;
        file.Directory?.Create();
        await File.WriteAllTextAsync(file.FullName, html, cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Report for run {latest.Run.RunId} as of {latest.Run.AsOf:yyyy-MM-dd}: {file.FullName}"));
        return true;
    }
}
