using System.Security.Cryptography;
using System.Text;
using Crm.Serverless.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Cli.Serve;

/// <summary>
/// The two keys of <c>crm serve</c>, checked as the Functions host checks its keys: the <c>x-functions-key</c>
/// header or <c>?code=</c>; a Function-level route takes the function key or the admin key, an Admin-level route
/// only the admin key (the master key in Azure). Anonymous routes take none.
/// </summary>
internal sealed class ServeKeys(string functionKey, string adminKey)
{
    public const string Header = "x-functions-key";
    public const string QueryParameter = "code";
    public const int MinimumLength = 16;

    public string FunctionKey { get; } = functionKey;

    public string AdminKey { get; } = adminKey;

    /// <summary>A fresh key: 30 random bytes, URL-safe base64, so it also works as <c>?code=</c> unescaped.</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(30)).Replace('+', '-').Replace('/', '_');

    /// <summary>Why a key given on the command line cannot be used, or null.</summary>
    public static string? Check(string key)
        => key.Length < MinimumLength || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~')
            ? $"must be at least {MinimumLength} characters of A-Z, a-z, 0-9, '-', '_', '.' or '~' (it travels in a header and a query string)"
            : null;

    public ApiResult? Refuse(HttpRequest request, AuthorizationLevel level)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (level == AuthorizationLevel.Anonymous)
        {
            return null;
        }

        var given = request.Headers[Header].FirstOrDefault() is { Length: > 0 } header ? header : request.Query[QueryParameter].FirstOrDefault();
        if (string.IsNullOrEmpty(given))
        {
            return Problems.Unauthorized(request, $"This route needs a key: send it in the {Header} header or as ?{QueryParameter}=.");
        }

        if (Matches(given, AdminKey) || (level == AuthorizationLevel.Function && Matches(given, FunctionKey)))
        {
            return null;
        }

        return Problems.Unauthorized(request, level == AuthorizationLevel.Function
            ? "The key is not valid for this route."
            : "This route needs the admin key (crm serve --admin-key; in Azure the master key).");
    }

    private static bool Matches(string given, string key)
        => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(key));
}
