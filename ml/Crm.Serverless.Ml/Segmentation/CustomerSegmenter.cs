using Crm.Serverless.Ml.Clv;

namespace Crm.Serverless.Ml.Segmentation;

/// <summary>Where a customer stands: RFM scores and segment, CLV value tier and churn-risk tier.</summary>
public readonly record struct CustomerSegment(
    string CustomerId,
    RfmScore Rfm,
    RfmSegment Segment,
    ValueTier Value,
    ChurnRiskTier ChurnRisk);

/// <summary>
/// Segments a scored customer base. R and M are quintiles relative to the customers passed in; F follows fixed
/// purchase-day bands (<see cref="FrequencyScore"/>), since most customers of most shops buy once and a quintile of
/// one value is no score.
/// </summary>
public static class CustomerSegmenter
{
    /// <summary>
    /// RFM over the calibration summaries: R = time since the last purchase day (T - t_x, shorter is better),
    /// F = purchase days (x + 1) in bands, M = total calibration spend.
    /// </summary>
    public static RfmScore[] ScoreRfm(CustomerSummaries summaries)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        var count = summaries.Count;
        var sinceLast = new double[count];
        for (var i = 0; i < count; i++)
        {
            sinceLast[i] = summaries.Age[i] - summaries.Recency[i];
        }

        var recency = QuintileScorer.Score(sinceLast, higherIsBetter: false);
        var monetary = QuintileScorer.Score(summaries.TotalSpend, higherIsBetter: true);
        var scores = new RfmScore[count];
        for (var i = 0; i < count; i++)
        {
            scores[i] = new RfmScore(recency[i], FrequencyScore(summaries.Frequency[i] + 1), monetary[i]);
        }

        return scores;
    }

    /// <summary>F from purchase days: 1, 2, 3-4, 5-9, 10 or more score 1 to 5.</summary>
    public static int FrequencyScore(int purchaseDays)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(purchaseDays, 1);
        return purchaseDays switch
        {
            1 => 1,
            2 => 2,
            <= 4 => 3,
            <= 9 => 4,
            _ => 5,
        };
    }

    /// <param name="scores">CLV scores of the same summaries, in the same order.</param>
    /// <param name="churnProbabilities">
    /// Each customer's probability of no purchase in the churn window, from whichever churn scorer the run uses (the
    /// promoted model, or the BG/NBD model when none has beaten it): the churn-risk tier has that one meaning.
    /// </param>
    public static CustomerSegment[] Segment(CustomerSummaries summaries, ClvScores scores, IReadOnlyList<double> churnProbabilities)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(churnProbabilities);
        if (!summaries.CustomerIds.SequenceEqual(scores.CustomerIds))
        {
            throw new ArgumentException("The scores are not for these summaries, in this order.", nameof(scores));
        }

        if (churnProbabilities.Count != summaries.Count)
        {
            throw new ArgumentException("Need one churn probability per customer.", nameof(churnProbabilities));
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
                ChurnRisk.Tier(churnProbabilities[i]));
        }

        return segments;
    }
}
