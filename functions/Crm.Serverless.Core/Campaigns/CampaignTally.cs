using System.Numerics;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Core.Campaigns;

/// <summary>
/// One group's sums: members, members who bought in the window, their revenue and its square (for the variance), and
/// the same for margin (revenue less the lines' unit cost). <see cref="RespondersWithoutCost"/>: responders with a
/// purchase in the window whose cost is not known (a line without unitCost, or no lines); while there are any, the
/// group's margin is unknown and is not shown.
/// </summary>
public sealed record GroupTally(int Customers, int Responders, double Revenue, double RevenueSquares, double Margin = 0, double MarginSquares = 0, int RespondersWithoutCost = 0)
{
    public static readonly GroupTally Empty = new(0, 0, 0, 0);

    public bool MarginKnown => RespondersWithoutCost == 0;

    public static GroupTally operator +(GroupTally a, GroupTally b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return new(
            a.Customers + b.Customers,
            a.Responders + b.Responders,
            a.Revenue + b.Revenue,
            a.RevenueSquares + b.RevenueSquares,
            a.Margin + b.Margin,
            a.MarginSquares + b.MarginSquares,
            a.RespondersWithoutCost + b.RespondersWithoutCost);
    }
}

/// <summary>
/// A campaign's response in sums that merge by addition: tally each shard's members against that shard's histories
/// and baskets (<see cref="Of"/>: stage 1 of a night, or the live report), add the shards up (one
/// <see cref="KeyedTotals{T}"/> per night, by campaign key), then compute rates and intervals from the total
/// (<see cref="CampaignFigures.Compute"/>).
/// </summary>
public sealed record CampaignTally(GroupTally Treatment, GroupTally Control) : IAdditionOperators<CampaignTally, CampaignTally, CampaignTally>
{
    public static readonly CampaignTally Empty = new(GroupTally.Empty, GroupTally.Empty);

    public static CampaignTally operator +(CampaignTally left, CampaignTally right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return new(left.Treatment + right.Treatment, left.Control + right.Control);
    }

    public CampaignTally Merge(CampaignTally other) => this + other;

    /// <summary>
    /// Every member counts in its group; a member responded when a purchase that still stands falls in
    /// [<paramref name="fromUtc"/>, <paramref name="toUtc"/>), and brought the net (after refunds) amounts of those
    /// purchases. Margin comes from the same purchases' lines (<paramref name="baskets"/>, one list per customer):
    /// their net amounts less unitCost × units kept. Customers who are not members are ignored, so a whole shard can
    /// be passed.
    /// </summary>
    public static CampaignTally Of(
        IReadOnlyDictionary<string, CampaignGroup> members,
        IEnumerable<CustomerHistory> histories,
        IEnumerable<IReadOnlyList<Basket>> baskets,
        DateTime fromUtc,
        DateTime toUtc)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(histories);
        ArgumentNullException.ThrowIfNull(baskets);
        var margins = new Dictionary<string, double?>(StringComparer.Ordinal);
        foreach (var customer in baskets)
        {
            if (customer.Count > 0 && members.ContainsKey(customer[0].CustomerId))
            {
                margins[customer[0].CustomerId] = MarginOf(customer, fromUtc, toUtc);
            }
        }

        var treatment = new GroupTally(members.Values.Count(g => g == CampaignGroup.Treatment), 0, 0, 0);
        var control = new GroupTally(members.Count - treatment.Customers, 0, 0, 0);
        foreach (var history in histories)
        {
            if (!members.TryGetValue(history.CustomerId, out var group))
            {
                continue;
            }

            var inWindow = history.Purchases.Where(p => p.TimestampUtc >= fromUtc && p.TimestampUtc < toUtc).ToList();
            if (inWindow.Count == 0)
            {
                continue;
            }

            var revenue = inWindow.Sum(p => p.Amount);
            var added = margins.GetValueOrDefault(history.CustomerId) is { } margin
                ? new GroupTally(0, 1, revenue, revenue * revenue, margin, margin * margin)
                : new GroupTally(0, 1, revenue, revenue * revenue, RespondersWithoutCost: 1);
            if (group == CampaignGroup.Treatment)
            {
                treatment += added;
            }
            else
            {
                control += added;
            }
        }

        return new(treatment, control);
    }

    /// <summary>The margin of one customer's purchases in the window; null when a purchase there has no lines or a line has no unit cost.</summary>
    private static double? MarginOf(IReadOnlyList<Basket> baskets, DateTime fromUtc, DateTime toUtc)
    {
        var margin = 0.0;
        var any = false;
        foreach (var basket in baskets)
        {
            if (basket.WhollyRefunded || basket.TimestampUtc < fromUtc || basket.TimestampUtc >= toUtc)
            {
                continue;
            }

            if (basket.Lines.Count == 0 || basket.Lines.Any(l => l.UnitCost is null))
            {
                return null;
            }

            any = true;
            margin += basket.Lines.Sum(l => l.NetAmount - (l.UnitCost!.Value * l.Quantity));
        }

        return any ? margin : null;
    }
}
