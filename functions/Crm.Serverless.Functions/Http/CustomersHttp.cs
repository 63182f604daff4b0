using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Privacy;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Http;

public sealed class CustomersHttp(CustomerReader customers, CustomerPrivacyService privacy)
{
    /// <summary>The customer's 360-degree view. Marketing tools call it with the marketing key.</summary>
    [Function("GetCustomer")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "customers/{customerId}")] HttpRequest request,
        string customerId,
        CancellationToken cancellationToken)
    {
        if (Invalid(request, customerId) is { } invalid)
        {
            return invalid;
        }

        var view = await customers.GetViewAsync(customerId, cancellationToken);
        return view is null
            ? Problems.NotFound(request, "No customer with this id is stored.")
            : new ApiResult(StatusCodes.Status200OK, view);
    }

    /// <summary>
    /// Erasure (GDPR Art. 17): every row holding the customer, in every customer-keyed table. 200 with the rows
    /// deleted per table; 404 when nothing was held, which is also what a retried erase gets: the data is gone.
    /// </summary>
    [Function("DeleteCustomer")]
    public async Task<IActionResult> Delete(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "customers/{customerId}")] HttpRequest request,
        string customerId,
        CancellationToken cancellationToken)
    {
        if (Invalid(request, customerId) is { } invalid)
        {
            return invalid;
        }

        var report = await privacy.EraseAsync(customerId, cancellationToken);
        return report.Total == 0
            ? Problems.NotFound(request, "Nothing is held about a customer with this id; nothing was erased.")
            : new ApiResult(StatusCodes.Status200OK, report);
    }

    /// <summary>Access (GDPR Art. 15): everything held about the customer, as JSON; 404 when nothing is held.</summary>
    [Function("ExportCustomer")]
    public async Task<IActionResult> Export(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "customers/{customerId}/export")] HttpRequest request,
        string customerId,
        CancellationToken cancellationToken)
    {
        if (Invalid(request, customerId) is { } invalid)
        {
            return invalid;
        }

        var export = await privacy.ExportAsync(customerId, cancellationToken);
        return export is null
            ? Problems.NotFound(request, "Nothing is held about a customer with this id.")
            : new ApiResult(StatusCodes.Status200OK, export);
    }

    private static ApiResult? Invalid(HttpRequest request, string customerId)
        => KeyRules.CheckId(customerId, isCustomerId: true) is { } problem
            ? Problems.Validation(request, [new FieldError("customerId", problem)])
            : null;
}
