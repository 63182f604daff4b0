using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Http;

public sealed class ContactsHttp(IngestHttpHandler handler)
{
    /// <summary>One contact or a batch of up to 500. Shop systems call it with the shop key.</summary>
    [Function("PostContacts")]
    public Task<IActionResult> Post(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "contacts")] HttpRequest request,
        CancellationToken cancellationToken)
        => handler.ContactsAsync(request, cancellationToken);
}
