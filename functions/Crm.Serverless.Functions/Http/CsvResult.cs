using System.Text;
using Microsoft.AspNetCore.Mvc;

namespace Crm.Serverless.Functions.Http;

/// <summary>Streams CSV straight into the response, so a large segment never sits in memory whole.</summary>
public sealed class CsvResult(Func<TextWriter, Task> write, string fileName) : IActionResult
{
    public async Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.HttpContext.Response;
        response.StatusCode = 200;
        response.ContentType = "text/csv; charset=utf-8";
        response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        await using var writer = new StreamWriter(response.Body, new UTF8Encoding(false), 64 * 1024, leaveOpen: true);
        await write(writer);
        await writer.FlushAsync();
    }
}
