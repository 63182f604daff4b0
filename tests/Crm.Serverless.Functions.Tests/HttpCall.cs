using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Crm.Serverless.Functions.Tests;

/// <summary>A real <see cref="DefaultHttpContext"/> request, and the response a function's result writes into it.</summary>
internal static class HttpCall
{
    public static HttpRequest Request(string method, string path, string? body = null, string? contentType = "application/json", long? contentLength = null)
        => Request(method, path, body is null ? null : new MemoryStream(Encoding.UTF8.GetBytes(body)), contentType, contentLength ?? (body is null ? null : Encoding.UTF8.GetByteCount(body)));

    /// <summary>A request over any body stream; a null <paramref name="contentLength"/> is a chunked body with no Content-Length.</summary>
    public static HttpRequest Request(string method, string path, Stream? body, string? contentType, long? contentLength)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        if (body is not null)
        {
            context.Request.Body = body;
            context.Request.ContentLength = contentLength;
            if (contentLength is null)
            {
                context.Request.Headers.TransferEncoding = "chunked";
            }
        }

        context.Request.ContentType = contentType;
        context.Response.Body = new MemoryStream();
        return context.Request;
    }

    /// <summary>
    /// Runs a function as the host would: an exception it throws goes through the same mapping the
    /// <see cref="Middleware.ExceptionMiddleware"/> applies (503 + Retry-After for storage outages, 500 otherwise).
    /// </summary>
    public static async Task<Response> InvokeAsync(HttpRequest request, Func<HttpRequest, Task<IActionResult>> function, string functionName = "test", Action<Exception>? thrown = null)
    {
        IActionResult result;
        try
        {
            result = await function(request);
        }
        catch (Exception exception)
        {
            thrown?.Invoke(exception);
            result = Middleware.ExceptionMiddleware.ToProblem(exception, request, "test-correlation", functionName, NullLogger.Instance);
        }

        return await ExecuteAsync(result, request);
    }

    public static async Task<Response> ExecuteAsync(IActionResult result, HttpRequest request)
    {
        await result.ExecuteResultAsync(new ActionContext(request.HttpContext, new RouteData(), new ActionDescriptor()));
        var response = request.HttpContext.Response;
        response.Body.Position = 0;
        var text = await new StreamReader(response.Body).ReadToEndAsync();
        return new Response(response.StatusCode, response.ContentType ?? "", text, response.Headers);
    }

    public sealed record Response(int Status, string ContentType, string Text, IHeaderDictionary Headers)
    {
        public JsonElement Json => JsonDocument.Parse(Text).RootElement;

        /// <summary>The problem-details <c>errors</c> member: field name to messages.</summary>
        public Dictionary<string, string[]> Errors
            => Json.TryGetProperty("errors", out var errors)
                ? errors.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(m => m.GetString()!).ToArray())
                : [];
    }
}
