using System.Globalization;
using Crm.Serverless.Core.Products;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Discounts;

namespace Crm.Serverless.Core.Export;

/// <summary>
/// CSV of the latest complete run's product facts and discount response by segment (its artefacts), and of the deal
/// seekers, read now from the stored purchases and the run's segments: artefacts keep no customer ids, so an erased
/// customer is in no later export.
/// </summary>
public sealed class ProductCsvExporter(SegmentReader segments, ProductFactsService products, BasketReader baskets, CustomerReader customers)
{
    public static readonly string[] ProductColumns =
    [
        "sku", "category", "revenue", "units", "orders", "buyers", "repeatBuyerRate", "refundRate", "margin", "costCoverage",
        "revenueLastWindow", "revenuePreviousWindow", "trend", "top", "flop",
    ];

    public static readonly string[] SegmentColumns =
    [
        "segment", "customers", "orders", "discountedOrderShare", "boughtOnDiscountRate", "discountedOrdersPerCustomer",
        "campaignOrderShare", "averageDepth", "dealSeekers", "mostResponsive",
    ];

    public static readonly string[] DealSeekerColumns = ["customerId", "segment", "orders", "discountedOrders", "discountedShare", "averageDepth", "campaignOrders"];

    /// <returns>Rows written; -1 when no run has completed, -2 when the run has no product facts.</returns>
    public async Task<int> WriteProductsAsync(TextWriter writer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (await segments.GetLatestRunAsync(cancellationToken) is not { } run)
        {
            return -1;
        }

        if (await products.ReadProductsAsync(run.RunId, cancellationToken) is not { } facts)
        {
            return -2;
        }

        var tops = facts.Tops.ToHashSet(StringComparer.Ordinal);
        var flops = facts.Flops.ToHashSet(StringComparer.Ordinal);
        await writer.WriteLineAsync(string.Join(',', ProductColumns));
        foreach (var p in facts.Products)
        {
            await writer.WriteLineAsync(Row(
                p.Sku, p.Category, Number(Math.Round(p.Revenue, 2)), Number(p.Units), Number(p.Orders), Number(p.Buyers), Number(p.RepeatBuyerRate), Number(p.RefundRate),
                Number(p.Margin is { } m ? Math.Round(m, 2) : null), Number(p.CostCoverage), Number(Math.Round(p.RevenueLastWindow, 2)), Number(Math.Round(p.RevenuePreviousWindow, 2)),
                Number(p.Trend), tops.Contains(p.Sku) ? "true" : "false", flops.Contains(p.Sku) ? "true" : "false"));
        }

        return facts.Products.Count;
    }

    /// <returns>Rows written; -1 when no run has completed, -2 when the run has no discount response.</returns>
    public async Task<int> WriteDiscountsAsync(TextWriter? segmentWriter, TextWriter? dealSeekerWriter, CancellationToken cancellationToken)
    {
        if (await segments.GetLatestRunAsync(cancellationToken) is not { } run)
        {
            return -1;
        }

        if (await products.ReadDiscountsAsync(run.RunId, cancellationToken) is not { } response)
        {
            return -2;
        }

        if (segmentWriter is not null)
        {
            await segmentWriter.WriteLineAsync(string.Join(',', SegmentColumns));
            foreach (var s in response.Segments)
            {
                await segmentWriter.WriteLineAsync(Row(
                    s.Segment, Number(s.Customers), Number(s.Orders), Number(s.DiscountedOrderShare), Number(s.BoughtOnDiscountRate), Number(s.DiscountedOrdersPerCustomer),
                    Number(s.CampaignOrderShare), Number(s.AverageDepth), Number(s.DealSeekers), s.Segment == response.MostResponsive ? "true" : "false"));
            }
        }

        if (dealSeekerWriter is not null)
        {
            await dealSeekerWriter.WriteLineAsync(string.Join(',', DealSeekerColumns));
            for (var shard = 0; shard < CrmKeys.ShardCount; shard++)
            {
                var scores = await customers.ReadScoresAsync(run.RunId, shard, cancellationToken);
                foreach (var customer in await baskets.ReadShardAsync(shard, cancellationToken))
                {
                    var id = customer[0].CustomerId;
                    if (DiscountProfile.Of(customer) is { DealSeeker: true } d)
                    {
                        await dealSeekerWriter.WriteLineAsync(Row(
                            id, scores.TryGetValue(id, out var score) ? score.Segment : ProductFactsService.Unscored, Number(d.Orders), Number(d.DiscountedOrders), Number(d.DiscountedShare), Number(d.AverageDepth), Number(d.CampaignOrders)));
                    }
                }
            }
        }

        return response.Segments.Count;
    }

    private static string Row(params string?[] values) => string.Join(',', values.Select(CustomerCsvExporter.Escape));

    private static string? Number(double? value) => value?.ToString("0.######", CultureInfo.InvariantCulture);
}
