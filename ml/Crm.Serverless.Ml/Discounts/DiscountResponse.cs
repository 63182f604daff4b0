namespace Crm.Serverless.Ml.Discounts;

/// <summary>
/// One segment's response to discounts. <see cref="DiscountedOrderShare"/>: discounted orders over all its orders.
/// <see cref="BoughtOnDiscountRate"/>: the share of its customers who bought on discount at least once (the purchase
/// rate on discount). <see cref="DiscountedOrdersPerCustomer"/>, <see cref="CampaignOrderShare"/> (orders attributed to a
/// campaign over all orders), <see cref="AverageDepth"/> (mean depth of its discounted orders) and its deal seekers.
/// </summary>
public sealed record SegmentDiscountResponse(
    string Segment,
    int Customers,
    int Orders,
    double DiscountedOrderShare,
    double BoughtOnDiscountRate,
    double DiscountedOrdersPerCustomer,
    double CampaignOrderShare,
    double? AverageDepth,
    int DealSeekers);

/// <summary>
/// A run's discount response: every segment's, how many deal seekers, and the answer to "which segment responds most":
/// the segment with the highest discounted-order share among those with at least
/// <see cref="DiscountResponsePartial.MinimumCustomers"/> customers (none when no segment has that many). It holds
/// counts only, no customer ids: a run artefact outlives an erasure, so who the deal seekers are is read at export time.
/// </summary>
public sealed record DiscountResponse(
    IReadOnlyList<SegmentDiscountResponse> Segments,
    string? MostResponsive,
    int Customers,
    int DiscountedOrders,
    int DealSeekers);
