using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Validation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Http;

public sealed class InteractionsHttp(IngestHttpHandler handler, InteractionJsonParser parser, InteractionIngestService ingest)
{
    /// <summary>One interaction or a batch of up to 500 (e-mails, calls, chats, tickets, reviews). Shop and service systems call it with the shop key.</summary>
    [Function("PostInteractions")]
    public Task<IActionResult> Post(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "interactions")] HttpRequest request,
        CancellationToken cancellationToken)
        => handler.HandleAsync(request, parser.Parse, ingest.IngestAsync, cancellationToken);
}
