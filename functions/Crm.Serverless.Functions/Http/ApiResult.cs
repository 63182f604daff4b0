using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Crm.Serverless.Functions.Http;

/// <summary>
/// A JSON response written with System.Text.Json directly, so it needs nothing from MVC's formatters and
/// behaves the same under the Functions host and in an in-process test with a <see cref="DefaultHttpContext"/>.
/// </summary>
public sealed class ApiResult(int statusCode, object body, string contentType = ApiResult.JsonContentType) : IActionResult
{
    public const string JsonContentType = "application/json; charset=utf-8";
    public const string ProblemContentType = "application/problem+json; charset=utf-8";

    public static readonly JsonSerializerOptions SerializerOptions = CreateOptions();

    public int StatusCode { get; } = statusCode;

    public object Body { get; } = body;

    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    public async Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = contentType;
        foreach (var (name, value) in Headers)
        {
            response.Headers[name] = value;
        }

        await JsonSerializer.SerializeAsync(response.Body, Body, Body.GetType(), SerializerOptions, context.HttpContext.RequestAborted);
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        return options;
    }
}
