using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Discounts;

/// <summary>One segment's discount sums over some customers.</summary>
public readonly record struct SegmentDiscountTotals(int Customers, int Orders, int Discounted, int Campaign, int BoughtOnDiscount, double DepthSum, int DealSeekers)
    : System.Numerics.IAdditionOperators<SegmentDiscountTotals, SegmentDiscountTotals, SegmentDiscountTotals>
{
    public static SegmentDiscountTotals operator +(SegmentDiscountTotals left, SegmentDiscountTotals right) => new(
        left.Customers + right.Customers,
        left.Orders + right.Orders,
        left.Discounted + right.Discounted,
        left.Campaign + right.Campaign,
        left.BoughtOnDiscount + right.BoughtOnDiscount,
        left.DepthSum + right.DepthSum,
        left.DealSeekers + right.DealSeekers);

    public static SegmentDiscountTotals Of(DiscountProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return new(
            1,
            profile.Orders,
            profile.DiscountedOrders,
            profile.CampaignOrders,
            profile.DiscountedOrders > 0 ? 1 : 0,
            (profile.AverageDepth ?? 0) * profile.DiscountedOrders,
            profile.DealSeeker ? 1 : 0);
    }
}

/// <summary>
/// Discount response summed over some customers: one per shard (stage 3 of a night, which knows the shard's segments,
/// writes it as a run artefact), merged, then <see cref="ToResponse"/>. Each total is a count or a sum
/// (<see cref="KeyedTotals{T}"/>), so the merge order does not change the result (up to floating-point rounding of
/// the depths). Holds one entry per segment, no customer ids.
/// </summary>
public sealed class DiscountResponsePartial
{
    /// <summary>Fewer customers than this and a segment's shares are too noisy to name it the most responsive.</summary>
    public const int MinimumCustomers = 20;

    public KeyedTotals<SegmentDiscountTotals> Segments { get; init; } = new();

    public void Add(string segment, DiscountProfile profile) => Segments.Add(segment, SegmentDiscountTotals.Of(profile));

    public void Merge(DiscountResponsePartial other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Segments.Merge(other.Segments);
    }

    public DiscountResponse ToResponse()
    {
        var segments = Segments.Ordered().Select(pair =>
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
            Segments.Items.Values.Sum(t => t.Discounted),
            segments.Sum(s => s.DealSeekers));
    }
}
