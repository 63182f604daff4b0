using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Middleware;

/// <summary>
/// The Entra ID app roles of the app registration (Auth:Mode = Entra), one per kind of caller, derived from each
/// function's trigger so a new function gets the role its door implies: the admin-level functions (erasure and
/// access export) need <see cref="Privacy"/>, a keyed write needs <see cref="Ingest"/>, a keyed read
/// <see cref="Read"/>; the open functions (health, the API description) need none.
/// </summary>
public static class AppRoles
{
    public const string Ingest = "Crm.Ingest";
    public const string Read = "Crm.Read";
    public const string Privacy = "Crm.Privacy";

    public static string? For(AuthorizationLevel level, IReadOnlyCollection<string> methods)
    {
        ArgumentNullException.ThrowIfNull(methods);
        return level switch
        {
            AuthorizationLevel.Anonymous => null,
            AuthorizationLevel.Function when methods.All(m => m is "get" or "head") => Read,
            AuthorizationLevel.Function => Ingest,
            _ => Privacy,
        };
    }
}
