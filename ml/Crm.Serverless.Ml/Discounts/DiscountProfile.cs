using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Discounts;

/// <summary>
/// How one customer buys on discount. An order is discounted when its discount is above 0; its depth is
/// <c>discount / (amount + discount)</c>, the share of the order's value before the discount that was given away.
/// <see cref="AverageDepth"/> is the mean depth over the discounted orders (none when there are none).
/// <see cref="CampaignOrders"/>: orders the shop attributes to a campaign. A deal seeker has at least
/// <see cref="DealSeekerMinimumOrders"/> orders of which at least <see cref="DealSeekerShare"/> were discounted.
/// </summary>
public sealed record DiscountProfile(int Orders, int DiscountedOrders, double DiscountedShare, double? AverageDepth, int CampaignOrders, bool DealSeeker)
{
    public const int DealSeekerMinimumOrders = 3;
    public const double DealSeekerShare = 0.6;

    /// <summary>
    /// From one customer's baskets. Cancelled orders are not baskets and wholly refunded ones are not counted (as
    /// everywhere else, they are not purchases); a partial refund does not undo the discount's use.
    /// </summary>
    public static DiscountProfile Of(IEnumerable<Basket> baskets)
    {
        ArgumentNullException.ThrowIfNull(baskets);
        int orders = 0, discounted = 0, campaign = 0;
        var depth = 0.0;
        foreach (var basket in baskets)
        {
            if (basket.WhollyRefunded)
            {
                continue;
            }

            orders++;
            campaign += basket.CampaignId is null ? 0 : 1;
            if (basket.DiscountAmount > 0)
            {
                discounted++;
                depth += basket.DiscountAmount / (basket.Amount + basket.DiscountAmount);
            }
        }

        var share = orders == 0 ? 0 : (double)discounted / orders;
        return new DiscountProfile(
            orders,
            discounted,
            share,
            discounted == 0 ? null : depth / discounted,
            campaign,
            orders >= DealSeekerMinimumOrders && share >= DealSeekerShare);
    }
}
