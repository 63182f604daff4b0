using Azure;
using Azure.Storage.Blobs.Models;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Reporting;

/// <summary>
/// Run reports as blobs beside the run's hand-offs: <c>{runId}/report.html</c> in the runs container. A report is
/// rendered once, when its run completes, because building it reads every stored row and re-scores the holdouts;
/// serving it is then one blob read, and what a marketer opens on Monday is what was checked on Sunday.
/// </summary>
public sealed class RunReportStore(RunReportBuilder builder, RunStore runs, CrmTables tables, ILogger<RunReportStore> logger) : IRunReportPublisher
{
    public const string ContentType = "text/html; charset=utf-8";

    public static string BlobName(string runId) => $"{runId}/report.html";

    /// <summary>Builds the run's report from what is stored now and saves it over any earlier one.</summary>
    public async Task<string> PublishAsync(RunRecord run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var html = RunReportHtml.Render(await builder.BuildAsync(run, cancellationToken));
        await tables.RunResults.GetBlobClient(BlobName(run.RunId)).UploadAsync(
            BinaryData.FromString(html),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = ContentType } },
            cancellationToken);
        logger.LogInformation("Report for run {RunId} as of {AsOf} published ({Characters} characters)", run.RunId, run.AsOf, html.Length);
        return html;
    }

    Task IRunReportPublisher.PublishAsync(RunRecord run, CancellationToken cancellationToken) => PublishAsync(run, cancellationToken);

    /// <summary>Publishes the report unless it is already stored: safe to call again after a failure or a redelivery.</summary>
    public async Task EnsurePublishedAsync(RunRecord run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (!await tables.RunResults.GetBlobClient(BlobName(run.RunId)).ExistsAsync(cancellationToken))
        {
            await PublishAsync(run, cancellationToken);
        }
    }

    public async Task<string?> GetAsync(string runId, CancellationToken cancellationToken)
    {
        try
        {
            var content = await tables.RunResults.GetBlobClient(BlobName(runId)).DownloadContentAsync(cancellationToken);
            return content.Value.Content.ToString();
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The latest complete run and its report (null when it has none yet).</summary>
    public async Task<(RunRecord Run, string? Html)?> GetLatestAsync(CancellationToken cancellationToken)
    {
        var run = await runs.GetLatestCompleteAsync(cancellationToken);
        return run is null ? null : (run, await GetAsync(run.RunId, cancellationToken));
    }
}
