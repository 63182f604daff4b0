using Crm.Serverless.Core.Storage;
using Crm.Serverless.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Functions.Middleware;

/// <summary>
/// Cross-cutting for every function: a correlation id in the log scope (and the response header), and for HTTP
/// an exception turned into problem details: 503 with Retry-After when storage is unavailable, 500 otherwise.
/// Queue and timer functions rethrow, so the host's retry and poison handling apply.
/// </summary>
public sealed class ExceptionMiddleware(ILogger<ExceptionMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public const string CorrelationHeader = "x-correlation-id";

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.GetHttpContext();
        var correlationId = http is null ? context.InvocationId : CorrelationIdOf(http, context.InvocationId);

        using var scope = BeginScope(logger, correlationId, context.FunctionDefinition.Name);
        try
        {
            await next(context);
        }
        catch (Exception exception) when (http is not null && !http.Response.HasStarted)
        {
            var result = ToProblem(exception, http.Request, correlationId, context.FunctionDefinition.Name, logger);
            await result.ExecuteResultAsync(new ActionContext(http, new RouteData(), new ActionDescriptor()));
        }
    }

    /// <summary>The caller's correlation id when it is a plain token of at most 64 characters, else <paramref name="fallback"/>; echoed in the response.</summary>
    public static string CorrelationIdOf(HttpContext http, string fallback)
    {
        ArgumentNullException.ThrowIfNull(http);
        var correlationId = http.Request.Headers[CorrelationHeader].FirstOrDefault() is { Length: > 0 and <= 64 } given && given.All(char.IsAsciiLetterOrDigit)
            ? given
            : fallback;
        http.Response.Headers[CorrelationHeader] = correlationId;
        return correlationId;
    }

    /// <summary>The log scope of one invocation: its correlation id and function name, nothing from the request.</summary>
    public static IDisposable? BeginScope(ILogger logger, string correlationId, string functionName)
    {
        ArgumentNullException.ThrowIfNull(logger);
        return logger.BeginScope(new Dictionary<string, object> { ["CorrelationId"] = correlationId, ["Function"] = functionName });
    }

    /// <summary>
    /// The one mapping from an exception an HTTP function threw to its response. Separate from <see cref="Invoke"/>
    /// so <c>crm serve</c> and the tests run the same mapping without a FunctionContext.
    /// </summary>
    public static ApiResult ToProblem(Exception exception, HttpRequest request, string correlationId, string functionName, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(logger);
        if (StorageFailure.IsTransient(exception))
        {
            logger.LogWarning("Storage unavailable in {Function}: {ExceptionType}", functionName, exception.GetType().Name);
            return Problems.StorageUnavailable(request, StorageFailure.RetryAfterSeconds);
        }

        logger.LogError(exception, "Unhandled error in {Function}", functionName);
        return Problems.Unexpected(request, correlationId);
    }
}
