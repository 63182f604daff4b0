using Crm.Serverless.Core.Export;
using Microsoft.AspNetCore.Mvc;

namespace Crm.Serverless.Functions.Http;

/// <summary>
/// Sends a CSV already written whole to a blob (<see cref="CustomerCsvExporter.StageSegmentAsync"/>): the status is
/// decided before the first byte, and Content-Length lets the client tell a body cut short from a complete one.
/// The staged blob is deleted once sent, or if sending fails.
/// </summary>
public sealed class CsvResult(StagedCsv staged, string fileName) : IActionResult
{
    public async Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await using (staged)
        {
            var response = context.HttpContext.Response;
            var cancellationToken = context.HttpContext.RequestAborted;
            await using var body = await staged.OpenReadAsync(cancellationToken);
            response.StatusCode = 200;
            response.ContentType = "text/csv; charset=utf-8";
            response.ContentLength = staged.Length;
            response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
            await body.CopyToAsync(response.Body, 64 * 1024, cancellationToken);
        }
    }
}
