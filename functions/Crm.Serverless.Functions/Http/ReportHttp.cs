using Crm.Serverless.Reporting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Http;

public sealed class ReportHttp(RunReportStore reports)
{
    /// <summary>The latest complete run's report as one offline HTML page, as stored when the run completed.</summary>
    [Function("GetReport")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "report")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var latest = await reports.GetLatestAsync(cancellationToken);
        if (latest is not { Html: { } html })
        {
            return Problems.NotFound(request, latest is null
                ? "No scoring run has completed yet."
                : $"Run {latest.Value.Run.RunId} has no report yet; it is written when the run's last shard completes (or by `crm report --rebuild`).");
        }

        return new HtmlResult(html);
    }
}
