using System.Text;
using Crm.Serverless.Ml.Discounts;
using Crm.Serverless.Ml.Products;

namespace Crm.Serverless.Reporting;

/// <summary>The tops-and-flops and discount-response section; hooked into <see cref="Render"/> by one line.</summary>
public static partial class RunReportHtml
{
    private static void TopsAndFlops(StringBuilder html, ProductsSection? section)
    {
        if (section?.Facts is not { Products.Count: > 0 } facts)
        {
            return;
        }

        var o = facts.Options;
        var bySku = facts.Products.ToDictionary(p => p.Sku, StringComparer.Ordinal);
        html.Append("<section id=\"products\">\n<h2>Products: tops and flops</h2>\n<p class=\"note\">")
            .Append(E(Inv($"{facts.Products.Count:N0} products sold up to {facts.AsOf:yyyy-MM-dd}, revenue net of refunded lines and of order discounts. Tops: the {o.Listed} with the most revenue among products with at least {o.MinimumBuyers} buyers. Flops: other products with that many buyers and a refund rate of {o.FlopRefundRate:0%} or more, or revenue down {-o.FlopTrend:0%} or more over the last {o.TrendDays} days against the {o.TrendDays} before.")))
            .Append("</p>\n");
        Figure(html, ReportCharts.TopsAndFlops(facts));
        ProductTable(html, "top-products", "Tops", facts.Tops.Select(s => bySku[s]));
        if (facts.Flops.Count == 0)
        {
            html.Append("<p class=\"note\" id=\"flop-products\">No product meets the flop definition in this run.</p>\n");
        }
        else
        {
            ProductTable(html, "flop-products", "Flops", facts.Flops.Select(s => bySku[s]));
        }

        if (section.Discounts is { Segments.Count: > 0 } discounts)
        {
            DiscountTable(html, discounts);
        }

        html.Append("</section>\n");
    }

    private static void ProductTable(StringBuilder html, string id, string caption, IEnumerable<ProductFact> products)
    {
        html.Append("<table id=\"").Append(id).Append("\">\n<caption>").Append(E(caption)).Append("</caption>\n<thead><tr><th>sku</th><th>category</th><th class=\"n\">revenue</th><th class=\"n\">margin</th><th class=\"n\">buyers</th><th class=\"n\">repeat buyers</th><th class=\"n\">refund rate</th><th class=\"n\">trend</th></tr></thead>\n<tbody>\n");
        foreach (var p in products)
        {
            html.Append("<tr><td>").Append(E(p.Sku)).Append("</td><td>").Append(E(p.Category ?? "-")).Append("</td>")
                .Append(Num(Inv($"{p.Revenue:N2}")))
                .Append(Num(p.Margin is { } margin ? Inv($"{margin:N2}") + (p.CostCoverage < 1 ? Inv($" ({p.CostCoverage:0%} costed)") : "") : "-"))
                .Append(Num(Inv($"{p.Buyers:N0}")))
                .Append(Num(Inv($"{p.RepeatBuyerRate:0%}")))
                .Append(Num(Inv($"{p.RefundRate:0.0%}")))
                .Append(Num(p.Trend is { } trend ? Inv($"{trend:+0%;-0%;0%}") : "new"))
                .Append("</tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
    }

    private static void DiscountTable(StringBuilder html, DiscountResponse discounts)
    {
        html.Append("<h3>Which segments respond most to discounts</h3>\n<p class=\"note\" id=\"discount-answer\">")
            .Append(E(discounts.MostResponsive is { } most
                ? Inv($"{most} responds most: the highest share of its orders were bought on discount (among segments of at least {DiscountResponsePartial.MinimumCustomers} customers).")
                : discounts.DiscountedOrders == 0
                    ? "No order in the data carries a discount, so no segment's response can be told."
                    : Inv($"No segment has {DiscountResponsePartial.MinimumCustomers} customers or more with discounted orders: too few to tell.")))
            .Append(E(Inv($" Deal seekers (at least {DiscountProfile.DealSeekerMinimumOrders} orders, {DiscountProfile.DealSeekerShare:0%} or more of them discounted): {discounts.DealSeekers:N0} of {discounts.Customers:N0} customers.")))
            .Append("</p>\n<table id=\"discount-table\">\n<thead><tr><th>segment</th><th class=\"n\">customers</th><th class=\"n\">orders discounted</th><th class=\"n\">customers who bought on discount</th><th class=\"n\">mean depth</th><th class=\"n\">orders from campaigns</th><th class=\"n\">deal seekers</th></tr></thead>\n<tbody>\n");
        foreach (var s in discounts.Segments.OrderByDescending(s => s.DiscountedOrderShare))
        {
            html.Append("<tr><td>").Append(E(s.Segment)).Append("</td>")
                .Append(Num(Inv($"{s.Customers:N0}")))
                .Append(Num(Inv($"{s.DiscountedOrderShare:0.0%}")))
                .Append(Num(Inv($"{s.BoughtOnDiscountRate:0.0%}")))
                .Append(Num(s.AverageDepth is { } depth ? Inv($"{depth:0.0%}") : "-"))
                .Append(Num(Inv($"{s.CampaignOrderShare:0.0%}")))
                .Append(Num(Inv($"{s.DealSeekers:N0}")))
                .Append("</tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
    }
}
