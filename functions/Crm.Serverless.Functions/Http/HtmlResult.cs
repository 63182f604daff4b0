using System.Text;
using Microsoft.AspNetCore.Mvc;

namespace Crm.Serverless.Functions.Http;

/// <summary>
/// A finished HTML page. The content security policy lets it use its own inline styles and nothing else: no script,
/// no request to any host, so the report behaves in the browser exactly as the offline file does.
/// </summary>
public sealed class HtmlResult(string html) : IActionResult
{
    public const string ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public string Html { get; } = html;

    public async Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.HttpContext.Response;
        response.StatusCode = 200;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(Html), context.HttpContext.RequestAborted);
    }
}
