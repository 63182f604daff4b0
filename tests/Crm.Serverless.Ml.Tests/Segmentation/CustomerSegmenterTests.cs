using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Segmentation;
using Crm.Serverless.Ml.Simulation;
using Crm.Serverless.Ml.Tests.TestData;
using Xunit.Abstractions;

namespace Crm.Serverless.Ml.Tests.Segmentation;

public class CustomerSegmenterTests(ITestOutputHelper output)
{
    private const double ChurnWindowWeeks = 90 / 7.0;

    [Fact]
    public void Segment_CdnowSample_GivesCoherentSegments()
    {
        var summaries = CustomerSummaryBuilder.Build(CdnowSample.Load(), CdnowSample.CalibrationEnd, ClvTimeUnit.Weeks);
        var model = ClvModel.Fit(summaries);
        var scores = model.Score(summaries);

        var segments = CustomerSegmenter.Segment(summaries, scores, model.ProbabilityNoPurchase(summaries, ChurnWindowWeeks));

        Assert.Equal(summaries.Count, segments.Length);
        var byId = segments.ToDictionary(s => s.CustomerId);

        // Hardie's customer 6 (x = 7, last purchase 9 weeks before the end) is frequent and fairly recent; customer 3
        // bought once in week 0 and never again.
        var frequent = byId[summaries[5].CustomerId];
        var oneOff = byId[summaries[2].CustomerId];
        Assert.Equal(4, frequent.Rfm.Frequency);
        Assert.Equal(ValueTier.High, frequent.Value);
        Assert.Equal(1, oneOff.Rfm.Frequency);
        Assert.Contains(oneOff.Segment, new[] { RfmSegment.Lost, RfmSegment.Hibernating, RfmSegment.AboutToSleep });

        // One definition of churn risk: the chance of no purchase in the churn window. A one-off buyer from 39 weeks
        // ago is High, however sure the BG/NBD model is that they have not dropped out.
        Assert.Equal(ChurnRiskTier.High, oneOff.ChurnRisk);
        Assert.NotEqual(ChurnRiskTier.High, frequent.ChurnRisk);
        var champions = segments.Where(s => s.Segment == RfmSegment.Champions).ToArray();
        Assert.NotEmpty(champions);
        Assert.True(champions.Count(s => s.Value != ValueTier.Low) > champions.Length * 0.9);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(4, 3)]
    [InlineData(5, 4)]
    [InlineData(9, 4)]
    [InlineData(10, 5)]
    [InlineData(250, 5)]
    public void FrequencyScore_PurchaseDays_FollowsTheBands(int purchaseDays, int expected)
        => Assert.Equal(expected, CustomerSegmenter.FrequencyScore(purchaseDays));

    [Theory]
    [InlineData("1997-12-31")]
    [InlineData("1998-02-28")]
    [InlineData("1998-03-31")]
    public void Segment_Cdnow_NamesAreTrueOfTheirMembers(string asOf)
        => AssertNamesAreTrue(CdnowCsv.ReadMaster(), DateTime.Parse(asOf, System.Globalization.CultureInfo.InvariantCulture));

    [Theory]
    // The two simulated shops of docs/models.md (crm generate --customers 20000 ...), at the as-of dates it reports.
    [InlineData(7, 0.243, 78, "1998-03-31")]
    [InlineData(7, 0.243, 78, "1998-06-30")]
    [InlineData(11, 1.2, 104, "1998-06-30")]
    [InlineData(11, 1.2, 104, "1998-12-31")]
    public void Segment_SimulatedShop_NamesAreTrueOfTheirMembers(int seed, double rateShape, double weeks, string asOf)
    {
        var shop = ShopSimulator.Simulate(new ShopSimulationOptions { Customers = 20_000, Seed = seed, R = rateShape, ObservationWeeks = weeks });

        AssertNamesAreTrue([.. shop.Select(s => s.History)], DateTime.Parse(asOf, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Segment_ScoresForOtherCustomers_Throws()
    {
        var all = CustomerSummaryBuilder.Build(CdnowSample.Load(), CdnowSample.CalibrationEnd, ClvTimeUnit.Weeks);
        var some = CustomerSummaryBuilder.Build(CdnowSample.Load().Take(10), CdnowSample.CalibrationEnd, ClvTimeUnit.Weeks);
        var scores = ClvModel.Fit(all).Score(some);

        Assert.Throws<ArgumentException>(() => CustomerSegmenter.Segment(all, scores, new double[all.Count]));
    }

    /// <summary>Champions are the least likely to leave and the most valuable, and no segment holds over a quarter.</summary>
    private void AssertNamesAreTrue(IReadOnlyList<CustomerHistory> histories, DateTime asOf)
    {
        var summaries = CustomerSummaryBuilder.Build(histories, asOf, ClvTimeUnit.Weeks);
        var model = ClvModel.Fit(summaries);
        var scores = model.Score(summaries);
        var churn = model.ProbabilityNoPurchase(summaries, ChurnWindowWeeks);

        var profile = SegmentProfile.Of(CustomerSegmenter.Segment(summaries, scores, churn), churn, scores.Clv);

        output.WriteLine(profile.ToMarkdown("segment"));
        Assert.True(profile.ChampionsLeastLikelyToChurn, "Champions are not the least likely to churn.");
        Assert.True(profile.ChampionsMostValuable, "Champions are not the most valuable.");
        Assert.True(profile.Largest.Share <= SegmentProfile.MaximumShare, $"{profile.Largest.Segment} holds {profile.Largest.Share:P1}.");
    }
}

public class SegmentCutsTests
{
    [Fact]
    public void Segment_ShardsAgainstPopulationCuts_EqualsTheWholePopulationCall()
    {
        // A simulated shop with heavy ties (most customers buy once), split into uneven "shards".
        var histories = ShopSimulator.Simulate(new ShopSimulationOptions { Customers = 3000, Seed = 9, ObservationWeeks = 104, R = 1.3 }).Select(c => c.History).ToList();
        var summaries = CustomerSummaryBuilder.Build(histories, new DateTime(1998, 12, 31, 0, 0, 0, DateTimeKind.Utc), ClvTimeUnit.Weeks);
        var model = ClvModel.Fit(summaries);
        var scores = model.Score(summaries);
        var churn = model.ProbabilityNoPurchase(summaries, 90 / 7.0);
        var whole = CustomerSegmenter.Segment(summaries, scores, churn);

        var cuts = CustomerSegmenter.Cuts(summaries, scores.Clv);
        var shards = histories.Chunk(257).ToList();
        var pieces = new List<CustomerSegment>();
        foreach (var shard in shards)
        {
            var part = CustomerSummaryBuilder.Build(shard, summaries.CalibrationEndUtc, ClvTimeUnit.Weeks);
            var partScores = model.Score(part);
            pieces.AddRange(CustomerSegmenter.Segment(part, partScores, model.ProbabilityNoPurchase(part, 90 / 7.0), cuts));
        }

        Assert.Equal(whole, pieces);
        Assert.True(whole.Select(s => s.Rfm.Recency).Distinct().Count() >= 3);
        Assert.Contains(whole, s => s.Value == ValueTier.High);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(10)]
    [InlineData(1001)]
    public void QuintileCuts_ScoreEveryValueAsTheWholeArrayDoes(int count)
    {
        var random = new Random(count);
        var values = Enumerable.Range(0, count).Select(_ => (double)random.Next(0, 12)).ToArray();
        foreach (var higherIsBetter in new[] { true, false })
        {
            var cuts = QuintileScorer.Cuts(values, higherIsBetter);
            Assert.Equal(QuintileScorer.Score(values, higherIsBetter), values.Select(cuts.Score));
        }

        var tiers = ValueTiers.Cuts(values);
        Assert.Equal(ValueTiers.Assign(values), values.Select(tiers.Tier));
    }
}
