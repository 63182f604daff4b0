using System.Text.Json;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Privacy;
using Crm.Serverless.Core.Validation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Http;

/// <summary>
/// The data-subject doors, at the admin level (the master key in Azure, <c>--admin-key</c> under <c>crm serve</c>).
/// The customer id travels in the JSON body, <c>{"customerId": "..."}</c>, never in the URL: the Functions host and
/// Application Insights record every request URL, and an erasure must not leave the id it erased behind in them.
/// </summary>
public sealed class PrivacyHttp(JsonBodyReader reader, CustomerPrivacyService privacy)
{
    /// <summary>
    /// Erasure (GDPR Art. 17): every row holding the customer, in every customer-keyed table. 200 with the rows
    /// deleted per table; 404 when nothing was held, which is also what a retried erase gets: the data is gone.
    /// </summary>
    [Function("EraseCustomer")]
    public async Task<IActionResult> Erase(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "privacy/erase")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var (customerId, error) = await ReadCustomerIdAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var report = await privacy.EraseAsync(customerId!, cancellationToken);
        return report.Total == 0
            ? Problems.NotFound(request, "Nothing is held about a customer with this id; nothing was erased.")
            : new ApiResult(StatusCodes.Status200OK, report);
    }

    /// <summary>Access (GDPR Art. 15): everything held about the customer, as JSON; 404 when nothing is held.</summary>
    [Function("ExportCustomer")]
    public async Task<IActionResult> Export(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "privacy/export")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var (customerId, error) = await ReadCustomerIdAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var export = await privacy.ExportAsync(customerId!, cancellationToken);
        return export is null
            ? Problems.NotFound(request, "Nothing is held about a customer with this id.")
            : new ApiResult(StatusCodes.Status200OK, export);
    }

    /// <summary>The body's <c>customerId</c>, within the same content-type and size limits as every JSON body.</summary>
    private async Task<(string? CustomerId, ApiResult? Error)> ReadCustomerIdAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, error) = await reader.ReadAsync(request, cancellationToken);
        if (error is not null)
        {
            return (null, error);
        }

        var problem = ParseCustomerId(body, out var customerId);
        return problem is null ? (customerId, null) : (null, Problems.Validation(request, [problem]));
    }

    private static FieldError? ParseCustomerId(ReadOnlyMemory<byte> body, out string? customerId)
    {
        customerId = null;
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = IngestJsonParser.MaxDepth });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return new FieldError("body", """must be a JSON object: {"customerId": "..."}""");
            }

            if (!document.RootElement.TryGetProperty("customerId", out var id) || id.ValueKind != JsonValueKind.String)
            {
                return new FieldError("customerId", "is required, as a string");
            }

            customerId = id.GetString()!;
        }
        catch (JsonException)
        {
            return new FieldError("body", """must be a JSON object: {"customerId": "..."}""");
        }
        catch (InvalidOperationException)
        {
            // Invalid UTF-8 or a lone-surrogate escape: System.Text.Json only throws once the text is read.
            return new FieldError("customerId", "must be valid Unicode text (no invalid UTF-8 and no lone surrogate escapes)");
        }

        return KeyRules.CheckId(customerId, isCustomerId: true) is { } problem ? new FieldError("customerId", problem) : null;
    }
}
