using Crm.Serverless.Core.Campaigns;

namespace Crm.Serverless.Core.Tests.Campaigns;

/// <summary>
/// The intervals against values worked out by hand (Wilson/Newcombe with z = 1.959964; Welch's df and the t quantile
/// from the incomplete beta function, computed with mpmath): treatment 40 customers, 12 responders spending
/// 10, 20, ..., 120; control 20 customers, 2 responders spending 15 and 45.
/// </summary>
public class UpliftIntervalsTests
{
    private static readonly GroupTally Treatment = new(40, 12, 780, 65_000);
    private static readonly GroupTally Control = new(20, 2, 60, 2_250);

    [Fact]
    public void Newcombe_MatchesTheHandCalculation()
    {
        var uplift = UpliftIntervals.Newcombe(12, 40, 2, 20);

        // p1 = 0.3, Wilson [0.1806, 0.4539]; p2 = 0.1, Wilson [0.0279, 0.3010]; d = 0.2.
        Assert.Equal(0.2, uplift.Estimate, 12);
        Assert.Equal(-0.0337422900189506, uplift.Lower, 9);
        Assert.Equal(0.37032848442146815, uplift.Upper, 9);
        Assert.True(uplift.SpansZero);
    }

    [Fact]
    public void Welch_MatchesTheHandCalculation()
    {
        var uplift = UpliftIntervals.Welch(Treatment, Control)!;

        // means 19.5 and 3.0, variances 1276.667 and 108.947, df 50.433, t(0.975, df) 2.008132.
        Assert.Equal(16.5, uplift.Estimate, 9);
        Assert.Equal(4.225067994858014, uplift.Lower, 6);
        Assert.Equal(28.774932005141984, uplift.Upper, 6);
    }

    [Fact]
    public void Verdicts_SayTooSmallToTell_AndWhy()
    {
        var campaign = new Campaign("c", "champions", "r1", new DateOnly(2024, 1, 1), false, 0.5, 1, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 0, 0, CampaignStatus.Ready);
        var observed = DateTimeOffset.UnixEpoch.AddDays(60);

        var small = CampaignFigures.Compute(campaign, new CampaignTally(Treatment, Control), 30, observed, "USD");
        var spans = CampaignFigures.Compute(campaign, new CampaignTally(new(100, 30, 300, 3_000), new(100, 25, 250, 2_500)), 30, observed, "USD");
        var clear = CampaignFigures.Compute(campaign, new CampaignTally(new(100, 40, 400, 4_000, RespondersWithoutCost: 3), new(100, 10, 100, 1_000)), 30, observed, "USD");

        Assert.Equal("too small to tell: the control group has 20 customers, fewer than 30", small.ResponseVerdict);
        Assert.Equal(small.ResponseVerdict, small.RevenueVerdict);
        Assert.Equal("too small to tell: the 95% interval of the response rate uplift spans 0", spans.ResponseVerdict);
        Assert.StartsWith("treatment higher: +30.0 points", clear.ResponseVerdict, StringComparison.Ordinal);
        Assert.StartsWith("treatment higher: +3.00 per customer", clear.RevenueVerdict, StringComparison.Ordinal);
        Assert.True(clear.WindowComplete);
        Assert.Null(clear.Treatment.MarginPerCustomer);
        Assert.Null(clear.MarginUplift);
        Assert.StartsWith("margin unknown: 3 of the 40 treatment responders bought without a unitCost", clear.MarginNote, StringComparison.Ordinal);
        Assert.Equal(0, clear.Control.MarginPerCustomer);
    }
}
