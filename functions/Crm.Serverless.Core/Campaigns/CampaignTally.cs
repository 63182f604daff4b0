using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Core.Campaigns;

/// <summary>One group's sums: members, members who bought in the window, and their revenue and its square (for the variance).</summary>
public sealed record GroupTally(int Customers, int Responders, double Revenue, double RevenueSquares)
{
    public static readonly GroupTally Empty = new(0, 0, 0, 0);

    public static GroupTally operator +(GroupTally a, GroupTally b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return new(a.Customers + b.Customers, a.Responders + b.Responders, a.Revenue + b.Revenue, a.RevenueSquares + b.RevenueSquares);
    }
}

/// <summary>
/// A campaign's response in sums that merge by addition: tally each shard's members against that shard's histories
/// (<see cref="Of"/>), add the shards up (<see cref="Merge"/>), then compute rates and intervals from the total
/// (<see cref="CampaignFigures.Compute"/>). Pure, so the nightly stages can run it per shard.
/// </summary>
public sealed record CampaignTally(GroupTally Treatment, GroupTally Control)
{
    public static readonly CampaignTally Empty = new(GroupTally.Empty, GroupTally.Empty);

    public CampaignTally Merge(CampaignTally other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(Treatment + other.Treatment, Control + other.Control);
    }

    /// <summary>
    /// Every member counts in its group; a member responded when a purchase that still stands falls in
    /// [<paramref name="fromUtc"/>, <paramref name="toUtc"/>), and brought the net (after refunds) amounts of those
    /// purchases. Histories of customers who are not members are ignored, so a whole shard can be passed.
    /// </summary>
    public static CampaignTally Of(IReadOnlyDictionary<string, CampaignGroup> members, IEnumerable<CustomerHistory> histories, DateTime fromUtc, DateTime toUtc)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(histories);
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
            var added = new GroupTally(0, 1, revenue, revenue * revenue);
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
}
