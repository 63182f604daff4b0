using Crm.Serverless.Core.Campaigns;
using MathNet.Numerics.Distributions;

namespace Crm.Serverless.Core.Tests.Campaigns;

/// <summary>The split is a pure function of (seed, campaign, customer): stable, and as random as a fair coin with the control share.</summary>
public class CampaignSplitTests
{
    private static readonly string[] Customers = [.. Enumerable.Range(0, 20_000).Select(i => $"C-{i:D5}")];

    [Fact]
    public void Assign_SameInputsTwice_GivesTheSameGroup_AndNotTheCallOrder()
    {
        var first = Customers.ToDictionary(id => id, id => CampaignSplit.Assign(42, "spring", id, 0.1));
        var shuffled = Customers.OrderBy(id => CampaignSplit.Uniform(7, "shuffle", id)).ToList();

        var again = shuffled.ToDictionary(id => id, id => CampaignSplit.Assign(42, "spring", id, 0.1));

        Assert.Equal(first.OrderBy(p => p.Key, StringComparer.Ordinal), again.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.NotEqual(
            Customers.Select(id => CampaignSplit.Assign(42, "spring", id, 0.1)),
            Customers.Select(id => CampaignSplit.Assign(43, "spring", id, 0.1)));
    }

    /// <summary>
    /// 300 seeds x 1,000 customers at a 10% control share: each seed's control count is Binomial(1000, 0.1), so the
    /// sum of the squared standardised counts is chi-square with 300 degrees of freedom; refused at the 1% level
    /// (Pearson's test, upper tail: a split that leaves the share too often by too much).
    /// </summary>
    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    public void ControlCounts_OverManySeeds_PassAChiSquareTestAtOnePercent(double share)
    {
        const int Seeds = 300;
        const int PerSeed = 1000;
        var expected = PerSeed * share;
        var variance = PerSeed * share * (1 - share);

        var statistic = 0.0;
        for (var seed = 0; seed < Seeds; seed++)
        {
            var control = Customers.Take(PerSeed).Count(id => CampaignSplit.Assign(seed, "campaign", id, share) == CampaignGroup.Control);
            statistic += (control - expected) * (control - expected) / variance;
        }

        Assert.True(statistic < ChiSquared.InvCDF(Seeds, 0.99), $"chi-square {statistic:0.00} over {Seeds} df");
    }

    /// <summary>
    /// Customers in id order, cut into 20 blocks of 1,000: a 2 x 20 contingency test of control against block finds
    /// no dependence on where a customer sits in the id order (1% level, 19 degrees of freedom).
    /// </summary>
    [Fact]
    public void ControlShare_IsIndependentOfCustomerIdOrder()
    {
        const double Share = 0.1;
        var blocks = Customers.Order(StringComparer.Ordinal).Chunk(1000).ToList();
        var control = blocks.Select(b => b.Count(id => CampaignSplit.Assign(2024, "autumn", id, Share) == CampaignGroup.Control)).ToList();
        var overall = (double)control.Sum() / Customers.Length;

        var statistic = 0.0;
        for (var i = 0; i < blocks.Count; i++)
        {
            var n = blocks[i].Length;
            statistic += Math.Pow(control[i] - n * overall, 2) / (n * overall) + Math.Pow(n - control[i] - n * (1 - overall), 2) / (n * (1 - overall));
        }

        Assert.True(statistic < ChiSquared.InvCDF(blocks.Count - 1, 0.99), $"chi-square {statistic:0.00} over {blocks.Count - 1} df");
        Assert.InRange(overall, 0.09, 0.11);
    }
}
