using Crm.Serverless.Ml.Discounts;
using Crm.Serverless.Ml.Products;

namespace Crm.Serverless.Reporting;

/// <summary>The report's products and discounts section: the run's artefacts as written by the nightly run, or nothing for older runs.</summary>
public sealed record ProductsSection(ProductFacts? Facts, DiscountResponse? Discounts)
{
    public static async Task<ProductsSection?> ReadAsync(Core.Products.ProductFactsService products, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(products);
        var facts = await products.ReadProductsAsync(runId, cancellationToken);
        var discounts = await products.ReadDiscountsAsync(runId, cancellationToken);
        return facts is null && discounts is null ? null : new ProductsSection(facts, discounts);
    }
}
