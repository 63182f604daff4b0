using System.Globalization;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Products;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Ml.Products;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Http;

/// <summary>One page of a run's product facts, by revenue; the token (an offset) is null on the last page.</summary>
public sealed record ProductsPage(
    string RunId,
    DateOnly AsOf,
    string? Currency,
    IReadOnlyList<ProductFact> Products,
    IReadOnlyList<string> Tops,
    IReadOnlyList<string> Flops,
    string? ContinuationToken);

public sealed class ProductsHttp(SegmentReader segments, ProductFactsService products, StoreCurrency currency)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    /// <summary>Product facts of the latest complete run (marketing key), highest revenue first, page by page.</summary>
    [Function("GetProducts")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "products")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<FieldError>();
        var pageSizeText = request.Query["pageSize"].ToString();
        var pageSize = DefaultPageSize;
        if (pageSizeText.Length > 0 && (!int.TryParse(pageSizeText, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxPageSize))
        {
            errors.Add(new FieldError("pageSize", $"must be a whole number from 1 to {MaxPageSize}"));
        }

        var token = request.Query["continuationToken"].ToString();
        var offset = 0;
        if (token.Length > 0 && !int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out offset))
        {
            errors.Add(new FieldError("continuationToken", "is not a token this API handed out"));
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(request, errors);
        }

        var run = await segments.GetLatestRunAsync(cancellationToken);
        if (run is null)
        {
            return Problems.NotFound(request, "No scoring run has completed yet.");
        }

        if (await products.ReadProductsAsync(run.RunId, cancellationToken) is not { } facts)
        {
            return Problems.NotFound(request, "The latest run has no product facts (it ran before they existed); the next run writes them.");
        }

        if (offset > facts.Products.Count)
        {
            return Problems.Validation(request, [new FieldError("continuationToken", "is not a token this API handed out")]);
        }

        var page = facts.Products.Skip(offset).Take(pageSize).ToList();
        var next = offset + page.Count < facts.Products.Count ? (offset + page.Count).ToString(CultureInfo.InvariantCulture) : null;
        return new ApiResult(StatusCodes.Status200OK, new ProductsPage(run.RunId, run.AsOf, await currency.GetAsync(cancellationToken), page, facts.Tops, facts.Flops, next));
    }
}
