using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Http;

public static class OpenApiHttp
{
    /// <summary>The API description (the repository's openapi.yaml, embedded at build), for integrators; no key.</summary>
    [Function("GetOpenApi")]
    public static IActionResult Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.yaml")] HttpRequest request)
        => new ContentResult { Content = Document.Value, ContentType = "application/yaml; charset=utf-8", StatusCode = StatusCodes.Status200OK };

    public static readonly Lazy<string> Document = new(() =>
    {
        using var stream = typeof(OpenApiHttp).Assembly.GetManifestResourceStream("openapi.yaml")
            ?? throw new InvalidOperationException("openapi.yaml is not embedded in the Functions assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
