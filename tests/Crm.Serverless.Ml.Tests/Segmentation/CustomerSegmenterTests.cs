using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Segmentation;
using Crm.Serverless.Ml.Tests.TestData;

namespace Crm.Serverless.Ml.Tests.Segmentation;

public class CustomerSegmenterTests
{
    [Fact]
    public void Segment_CdnowSample_GivesCoherentSegments()
    {
        var summaries = CustomerSummaryBuilder.Build(CdnowSample.Load(), CdnowSample.CalibrationEnd, ClvTimeUnit.Weeks);
        var scores = ClvModel.Fit(summaries).Score(summaries);

        var segments = CustomerSegmenter.Segment(summaries, scores);

        Assert.Equal(summaries.Count, segments.Length);
        var byId = segments.ToDictionary(s => s.CustomerId);

        // Hardie's customer 6 (x = 7, last purchase 9 weeks before the end) is frequent and fairly recent; customer 3
        // bought once in week 0 and never again.
        var frequent = byId[summaries[5].CustomerId];
        var oneOff = byId[summaries[2].CustomerId];
        Assert.Equal(5, frequent.Rfm.Frequency);
        Assert.Equal(ValueTier.High, frequent.Value);
        Assert.Equal(1, oneOff.Rfm.Frequency);
        Assert.Contains(oneOff.Segment, new[] { RfmSegment.Lost, RfmSegment.Hibernating, RfmSegment.AboutToSleep });

        // The one-off buyers' P(alive) is 1 by the model, so their churn risk is Low; repeaters who stopped long ago are High.
        Assert.Equal(ChurnRiskTier.Low, oneOff.ChurnRisk);
        Assert.Contains(segments, s => s.ChurnRisk == ChurnRiskTier.High);
        var champions = segments.Where(s => s.Segment == RfmSegment.Champions).ToArray();
        Assert.NotEmpty(champions);
        Assert.True(champions.Count(s => s.Value != ValueTier.Low) > champions.Length * 0.9);
    }

    [Fact]
    public void Segment_ScoresForOtherCustomers_Throws()
    {
        var all = CustomerSummaryBuilder.Build(CdnowSample.Load(), CdnowSample.CalibrationEnd, ClvTimeUnit.Weeks);
        var some = CustomerSummaryBuilder.Build(CdnowSample.Load().Take(10), CdnowSample.CalibrationEnd, ClvTimeUnit.Weeks);
        var scores = ClvModel.Fit(all).Score(some);

        Assert.Throws<ArgumentException>(() => CustomerSegmenter.Segment(all, scores));
    }
}
