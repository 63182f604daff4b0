using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Http;

public sealed class TransactionsHttp(IngestHttpHandler handler)
{
    /// <summary>One purchase or a batch of up to 500. Shop systems call it with the shop key.</summary>
    [Function("PostTransactions")]
    public Task<IActionResult> Post(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "transactions")] HttpRequest request,
        CancellationToken cancellationToken)
        => handler.TransactionsAsync(request, cancellationToken);
}
