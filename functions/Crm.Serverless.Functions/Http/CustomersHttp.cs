using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Http;

public sealed class CustomersHttp(CustomerReader customers)
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

    private static ApiResult? Invalid(HttpRequest request, string customerId)
        => KeyRules.CheckId(customerId, isCustomerId: true) is { } problem
            ? Problems.Validation(request, [new FieldError("customerId", problem)])
            : null;
}
