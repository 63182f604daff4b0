namespace Crm.Serverless.Functions.Middleware;

public enum AuthMode
{
    /// <summary>Function keys only (the Functions host checks them; <c>crm serve</c> checks its own).</summary>
    Keys,

    /// <summary>App Service Authentication signs callers in with Entra ID; each function also needs its app role.</summary>
    Entra,
}

/// <summary>Section <c>Auth</c>: <c>Auth__Mode=Entra</c> is set by the Bicep parameter that turns App Service Authentication on.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public AuthMode Mode { get; set; } = AuthMode.Keys;
}
