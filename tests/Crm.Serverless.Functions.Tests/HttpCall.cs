using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;

namespace Crm.Serverless.Functions.Tests;

/// <summary>A real <see cref="DefaultHttpContext"/> request, and the response a function's result writes into it.</summary>
internal static class HttpCall
{
    public static HttpRequest Request(string method, string path, string? body = null, string? contentType = "application/json", long? contentLength = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Request.Body = new MemoryStream(bytes);
            context.Request.ContentLength = contentLength ?? bytes.Length;
        }

        context.Request.ContentType = contentType;
        context.Response.Body = new MemoryStream();
        return context.Request;
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
