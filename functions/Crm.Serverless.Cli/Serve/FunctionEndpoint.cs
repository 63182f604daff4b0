using System.Reflection;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Functions.Middleware;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Cli.Serve;

/// <summary>
/// One HTTP function of the Functions app behind an ASP.NET Core endpoint, in the order the Azure pipeline runs:
/// the key (the host's job there), the role check (<see cref="AppRoleMiddleware"/>), the correlation scope and
/// exception mapping (<see cref="ExceptionMiddleware"/>), then the function itself with its request, route values
/// and cancellation token bound as the worker binds them.
/// </summary>
internal sealed class FunctionEndpoint
{
    private readonly HttpFunction _function;
    private readonly ObjectFactory? _create;
    private readonly Func<HttpContext, object?>[] _arguments;

    private FunctionEndpoint(HttpFunction function)
    {
        _function = function;
        _create = function.Method.IsStatic ? null : ActivatorUtilities.CreateFactory(function.Method.DeclaringType!, Type.EmptyTypes);
        var routeValues = RoutePatternFactory.Parse(function.Route).Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        _arguments = [.. function.Method.GetParameters().Select(parameter => Bind(function, parameter, routeValues))];
    }

    /// <summary>Maps every function under <c>/api</c>; a function with a parameter this host cannot bind fails here, at start.</summary>
    public static void MapAll(IEndpointRouteBuilder endpoints, IEnumerable<HttpFunction> functions)
    {
        foreach (var function in functions)
        {
            var endpoint = new FunctionEndpoint(function);
            endpoints.MapMethods($"/{ServeHost.RoutePrefix}/{function.Route}", function.Methods.Select(m => m.ToUpperInvariant()), endpoint.InvokeAsync)
                .WithName(function.Name)
                .WithMetadata(function);
        }
    }

    private static Func<HttpContext, object?> Bind(HttpFunction function, ParameterInfo parameter, HashSet<string> routeValues)
    {
        if (parameter.ParameterType == typeof(HttpRequest))
        {
            return http => http.Request;
        }

        if (parameter.ParameterType == typeof(CancellationToken))
        {
            return http => http.RequestAborted;
        }

        if (parameter.ParameterType == typeof(string) && parameter.Name is { } name && routeValues.Contains(name))
        {
            return http => http.Request.RouteValues[name] as string ?? "";
        }

        throw new InvalidOperationException($"crm serve cannot bind parameter '{parameter.Name}' ({parameter.ParameterType.Name}) of {function.Name}; bind it in {nameof(FunctionEndpoint)} as the worker does.");
    }

    private async Task InvokeAsync(HttpContext http)
    {
        var services = http.RequestServices;
        var refusal = services.GetRequiredService<ServeKeys>().Refuse(http.Request, _function.AuthLevel)
                      ?? services.GetRequiredService<RoleCheck>().Refuse(http.Request, _function);
        if (refusal is not null)
        {
            await ExecuteAsync(refusal, http);
            return;
        }

        var logger = services.GetRequiredService<ILogger<ExceptionMiddleware>>();
        var correlationId = ExceptionMiddleware.CorrelationIdOf(http, Guid.NewGuid().ToString());
        using var scope = ExceptionMiddleware.BeginScope(logger, correlationId, _function.Name);
        try
        {
            var instance = _create?.Invoke(services, null);
            var arguments = Array.ConvertAll(_arguments, bind => bind(http));
            var result = _function.Method.Invoke(instance, BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null) switch
            {
                Task<IActionResult> task => await task,
                IActionResult done => done,
                var other => throw new InvalidOperationException($"{_function.Name} returned {other?.GetType().Name ?? "null"}, not an IActionResult."),
            };
            await ExecuteAsync(result, http);
        }
        catch (Exception exception) when (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
        {
            await ExecuteAsync(ExceptionMiddleware.ToProblem(exception, http.Request, correlationId, _function.Name, logger), http);
        }
    }

    private static Task ExecuteAsync(IActionResult result, HttpContext http)
        => result.ExecuteResultAsync(new ActionContext(http, http.GetRouteData(), new ActionDescriptor()));
}
