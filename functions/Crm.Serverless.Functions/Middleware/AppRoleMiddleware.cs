using Crm.Serverless.Functions.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace Crm.Serverless.Functions.Middleware;

/// <summary>Runs <see cref="RoleCheck"/> before every HTTP function; a refusal is answered here and the function never runs.</summary>
public sealed class AppRoleMiddleware(RoleCheck check) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.GetHttpContext() is { } http
            && HttpFunctionCatalog.Find(context.FunctionDefinition.Name) is { } function
            && check.Refuse(http.Request, function) is { } refusal)
        {
            await refusal.ExecuteResultAsync(new ActionContext(http, new RouteData(), new ActionDescriptor()));
            return;
        }

        await next(context);
    }
}
