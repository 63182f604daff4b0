using System.Text;
using System.Text.Json;

namespace Crm.Serverless.Functions.Middleware;

/// <summary>
/// The caller App Service Authentication signed in, as the platform hands it over: the <c>X-MS-CLIENT-PRINCIPAL</c>
/// header, base64 of <c>{"auth_typ":"aad","claims":[{"typ":"roles","val":"Crm.Read"},...],"role_typ":"..."}</c>.
/// The platform strips this header from incoming requests and sets it itself, so it is only trustworthy when
/// App Service Authentication is on.
/// </summary>
public sealed record ClientPrincipal(IReadOnlySet<string> Roles)
{
    public const string Header = "X-MS-CLIENT-PRINCIPAL";

    /// <summary>The roles claim of an Entra ID token, and the claim type the platform names in <c>role_typ</c>.</summary>
    private const string RolesClaim = "roles";

    public static ClientPrincipal? Parse(string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(Convert.FromBase64String(header));
            var root = document.RootElement;
            var roleType = root.TryGetProperty("role_typ", out var typ) && typ.ValueKind == JsonValueKind.String ? typ.GetString() : null;
            if (!root.TryGetProperty("claims", out var claims) || claims.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var roles = claims.EnumerateArray()
                .Where(c => c.ValueKind == JsonValueKind.Object
                            && c.TryGetProperty("typ", out var t) && t.ValueKind == JsonValueKind.String && (t.GetString() == RolesClaim || t.GetString() == roleType)
                            && c.TryGetProperty("val", out var v) && v.ValueKind == JsonValueKind.String)
                .Select(c => c.GetProperty("val").GetString()!)
                .ToHashSet(StringComparer.Ordinal);
            return new ClientPrincipal(roles);
        }
        catch (Exception exception) when (exception is FormatException or JsonException or InvalidOperationException or DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>The header value for a principal with these roles, as the platform would set it (for tests and local tries).</summary>
    public static string Encode(params string[] roles)
        => Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new
        {
            auth_typ = "aad",
            claims = roles.Select(r => new { typ = RolesClaim, val = r }),
            name_typ = "name",
            role_typ = RolesClaim,
        }));
}
