namespace Crm.Serverless.Ml.Discounts;

/// <summary>
/// Discount response summed over some customers: one per shard, merged, then <see cref="ToResponse"/>. Each total is a
/// count or a sum, so the merge order does not change the result (up to floating-point rounding of the depths).
/// </summary>
public sealed class DiscountResponsePartial
{
    /// <summary>Fewer customers than this and a segment's shares are too noisy to name it the most responsive.</summary>
    public const int MinimumCustomers = 20;

    private readonly SortedDictionary<string, Totals> _segments = new(StringComparer.Ordinal);

    public void Add(string segment, DiscountProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var totals = Of(segment);
        totals.Customers++;
        totals.Orders += profile.Orders;
        totals.Discounted += profile.DiscountedOrders;
        totals.Campaign += profile.CampaignOrders;
        totals.BoughtOnDiscount += profile.DiscountedOrders > 0 ? 1 : 0;
        totals.DepthSum += (profile.AverageDepth ?? 0) * profile.DiscountedOrders;
        totals.DealSeekers += profile.DealSeeker ? 1 : 0;
    }

    public void Merge(DiscountResponsePartial other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (var (segment, theirs) in other._segments)
        {
            var totals = Of(segment);
            totals.Customers += theirs.Customers;
            totals.Orders += theirs.Orders;
            totals.Discounted += theirs.Discounted;
            totals.Campaign += theirs.Campaign;
            totals.BoughtOnDiscount += theirs.BoughtOnDiscount;
            totals.DepthSum += theirs.DepthSum;
            totals.DealSeekers += theirs.DealSeekers;
        }
    }

    public DiscountResponse ToResponse()
    {
        var segments = _segments.Select(pair =>
        {
            var t = pair.Value;
            return new SegmentDiscountResponse(
                pair.Key,
                t.Customers,
                t.Orders,
                t.Orders == 0 ? 0 : (double)t.Discounted / t.Orders,
                t.Customers == 0 ? 0 : (double)t.BoughtOnDiscount / t.Customers,
                t.Customers == 0 ? 0 : (double)t.Discounted / t.Customers,
                t.Orders == 0 ? 0 : (double)t.Campaign / t.Orders,
                t.Discounted == 0 ? null : t.DepthSum / t.Discounted,
                t.DealSeekers);
        }).ToList();
        var most = segments
            .Where(s => s.Customers >= MinimumCustomers && s.DiscountedOrderShare > 0)
            .OrderByDescending(s => s.DiscountedOrderShare)
            .ThenBy(s => s.Segment, StringComparer.Ordinal)
            .FirstOrDefault()?.Segment;
        return new DiscountResponse(
            segments,
            most,
            segments.Sum(s => s.Customers),
            _segments.Values.Sum(t => t.Discounted),
            segments.Sum(s => s.DealSeekers));
    }

    private Totals Of(string segment)
    {
        if (!_segments.TryGetValue(segment, out var totals))
        {
            totals = new Totals();
            _segments[segment] = totals;
        }

        return totals;
    }

    private sealed class Totals
    {
        public int Customers { get; set; }
        public int Orders { get; set; }
        public int Discounted { get; set; }
        public int Campaign { get; set; }
        public int BoughtOnDiscount { get; set; }
        public double DepthSum { get; set; }
        public int DealSeekers { get; set; }
    }
}
