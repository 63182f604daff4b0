using Crm.Serverless.Ml.Clv;

namespace Crm.Serverless.Ml.Segmentation;

/// <summary>Where a customer stands: RFM scores and segment, CLV value tier and churn-risk tier.</summary>
public readonly record struct CustomerSegment(
    string CustomerId,
    RfmScore Rfm,
    RfmSegment Segment,
    ValueTier Value,
    ChurnRiskTier ChurnRisk);

/// <summary>Segments a scored customer base. RFM quintiles are relative to the customers passed in.</summary>
public static class CustomerSegmenter
{
    /// <summary>
    /// RFM over the calibration summaries: R = time since the last purchase day (T - t_x, shorter is better),
    /// F = purchase days (x + 1), M = total calibration spend.
    /// </summary>
    public static RfmScore[] ScoreRfm(CustomerSummaries summaries)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        var count = summaries.Count;
        var sinceLast = new double[count];
        var purchaseDays = new double[count];
        for (var i = 0; i < count; i++)
        {
            sinceLast[i] = summaries.Age[i] - summaries.Recency[i];
            purchaseDays[i] = summaries.Frequency[i] + 1;
        }

        var recency = QuintileScorer.Score(sinceLast, higherIsBetter: false);
        var frequency = QuintileScorer.Score(purchaseDays, higherIsBetter: true);
        var monetary = QuintileScorer.Score(summaries.TotalSpend, higherIsBetter: true);
        var scores = new RfmScore[count];
        for (var i = 0; i < count; i++)
        {
            scores[i] = new RfmScore(recency[i], frequency[i], monetary[i]);
        }

        return scores;
    }

    /// <param name="scores">CLV scores of the same summaries, in the same order.</param>
    public static CustomerSegment[] Segment(CustomerSummaries summaries, ClvScores scores)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        ArgumentNullException.ThrowIfNull(scores);
        if (!summaries.CustomerIds.SequenceEqual(scores.CustomerIds))
        {
            throw new ArgumentException("The scores are not for these summaries, in this order.", nameof(scores));
        }

        var rfm = ScoreRfm(summaries);
        var value = ValueTiers.Assign(scores.Clv);
        var segments = new CustomerSegment[summaries.Count];
        for (var i = 0; i < segments.Length; i++)
        {
            segments[i] = new CustomerSegment(
                summaries.CustomerIds[i],
                rfm[i],
                RfmSegmentTable.Segment(rfm[i]),
                value[i],
                ChurnRisk.Tier(1 - scores.ProbabilityAlive[i]));
        }

        return segments;
    }
}
