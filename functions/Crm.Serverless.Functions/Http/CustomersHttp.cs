using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Recommendations;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Http;

public sealed class CustomersHttp(CustomerReader customers, RecommendationReader recommendations)
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

    /// <summary>The customer's next best products from the latest run, best first; 404 for a customer not stored.</summary>
    [Function("GetCustomerRecommendations")]
    public async Task<IActionResult> GetRecommendations(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "customers/{customerId}/recommendations")] HttpRequest request,
        string customerId,
        CancellationToken cancellationToken)
    {
        if (Invalid(request, customerId) is { } invalid)
        {
            return invalid;
        }

        var found = await recommendations.GetAsync(customerId, cancellationToken);
        return found is null
            ? Problems.NotFound(request, "No customer with this id is stored.")
            : new ApiResult(StatusCodes.Status200OK, found);
    }

    private static ApiResult? Invalid(HttpRequest request, string customerId)
        => KeyRules.CheckId(customerId, isCustomerId: true) is { } problem
            ? Problems.Validation(request, [new FieldError("customerId", problem)])
            : null;
}
