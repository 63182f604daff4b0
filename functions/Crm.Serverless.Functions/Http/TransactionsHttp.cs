using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Validation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Http;

public sealed class TransactionsHttp(JsonBodyReader reader, IngestJsonParser parser, IngestService ingest)
{
    /// <summary>One purchase or a batch of up to 500. Shop systems call it with the shop key.</summary>
    [Function("PostTransactions")]
    public async Task<IActionResult> Post(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "transactions")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var (body, error) = await reader.ReadAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var parsed = parser.ParseTransactions(body);
        if (parsed.BodyError is not null)
        {
            return IngestResponses.BodyError(request, parsed);
        }

        var outcomes = await ingest.IngestTransactionsAsync(parsed, IngestSource.Http, cancellationToken);
        return IngestResponses.For(request, parsed.IsBatch, outcomes);
    }
}
