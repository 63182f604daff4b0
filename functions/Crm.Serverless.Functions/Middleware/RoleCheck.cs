using Crm.Serverless.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Functions.Middleware;

/// <summary>
/// The per-function identity check, shared by <see cref="AppRoleMiddleware"/> (the Functions app) and <c>crm serve</c>.
/// In Entra mode the caller must carry the function's app role (401 without a principal, 403 with the wrong role).
/// Otherwise nobody sets the principal header legitimately, so a request carrying one is refused as forged: a
/// deployment that later turns App Service Authentication off must not keep trusting what a client claims.
/// </summary>
public sealed class RoleCheck(IOptions<AuthOptions> options)
{
    public ApiResult? Refuse(HttpRequest request, HttpFunction function)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(function);
        var header = request.Headers[ClientPrincipal.Header];
        if (options.Value.Mode != AuthMode.Entra)
        {
            return header.Count == 0
                ? null
                : Problems.Unauthorized(request, $"The {ClientPrincipal.Header} header is set by App Service Authentication, which this deployment does not use; the request was refused.");
        }

        if (function.Role is not { } role)
        {
            return null;
        }

        if (ClientPrincipal.Parse(header.Count == 1 ? header[0] : null) is not { } principal)
        {
            return Problems.Unauthorized(request, "Sign in with Entra ID: App Service Authentication passes the caller's identity to the app.");
        }

        return principal.Roles.Contains(role)
            ? null
            : Problems.Forbidden(request, $"{function.Name} needs the app role {role}; assign it to the caller in the app registration.");
    }
}
