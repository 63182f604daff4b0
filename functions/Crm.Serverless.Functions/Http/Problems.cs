using Crm.Serverless.Core.Domain;
using Microsoft.AspNetCore.Http;

namespace Crm.Serverless.Functions.Http;

/// <summary>An RFC 9457 problem details body; <c>errors</c> names each bad field, as ASP.NET's validation problems do.</summary>
public sealed record ProblemBody(
    string Type,
    string Title,
    int Status,
    string? Detail,
    string? Instance,
    IReadOnlyDictionary<string, string[]>? Errors = null,
    IReadOnlyList<object>? Items = null);

/// <summary>Every error response of the API, built in one place.</summary>
public static class Problems
{
    public static ApiResult Validation(HttpRequest request, IEnumerable<FieldError> errors, string detail = "The request has invalid fields; see errors.")
        => Create(request, StatusCodes.Status400BadRequest, "One or more fields are invalid.", detail, ToDictionary(errors));

    public static ApiResult Conflict(HttpRequest request, IEnumerable<FieldError> errors)
        => Create(request, StatusCodes.Status409Conflict, "The item conflicts with one already stored.", "The id is already stored with different content; nothing was overwritten.", ToDictionary(errors));

    public static ApiResult Unauthorized(HttpRequest request, string detail)
        => Create(request, StatusCodes.Status401Unauthorized, "Not authenticated.", detail);

    public static ApiResult Forbidden(HttpRequest request, string detail)
        => Create(request, StatusCodes.Status403Forbidden, "Not allowed.", detail);

    public static ApiResult NotFound(HttpRequest request, string detail)
        => Create(request, StatusCodes.Status404NotFound, "Not found.", detail);

    public static ApiResult TooLarge(HttpRequest request, string detail)
        => Create(request, StatusCodes.Status413PayloadTooLarge, "The request is too large.", detail, ToDictionary([new FieldError("body", detail)]));

    public static ApiResult UnsupportedMediaType(HttpRequest request)
        => Create(request, StatusCodes.Status415UnsupportedMediaType, "Unsupported media type.", "Send the body as application/json.", ToDictionary([new FieldError("Content-Type", "must be application/json")]));

    public static ApiResult StorageUnavailable(HttpRequest request, int retryAfterSeconds)
    {
        var result = Create(request, StatusCodes.Status503ServiceUnavailable, "Storage is unavailable.", "Nothing from this request was lost: retry it; items already stored will be reported as duplicates.");
        result.Headers["Retry-After"] = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return result;
    }

    public static ApiResult Unexpected(HttpRequest request, string correlationId)
        => Create(request, StatusCodes.Status500InternalServerError, "Unexpected error.", $"The error was logged with correlation id {correlationId}.");

    public static ApiResult Create(HttpRequest request, int status, string title, string? detail, IReadOnlyDictionary<string, string[]>? errors = null, IReadOnlyList<object>? items = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = new ProblemBody(TypeFor(status), title, status, detail, request.Path.Value, errors, items);
        return new ApiResult(status, body, ApiResult.ProblemContentType);
    }

    public static IReadOnlyDictionary<string, string[]> ToDictionary(IEnumerable<FieldError> errors)
        => errors.GroupBy(e => e.Field, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray(), StringComparer.Ordinal);

    private static string TypeFor(int status) => status switch
    {
        400 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1",
        401 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2",
        403 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.4",
        404 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5",
        409 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.10",
        413 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14",
        415 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.16",
        503 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4",
        _ => "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.1",
    };
}
