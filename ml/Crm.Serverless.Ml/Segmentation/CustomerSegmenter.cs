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
    public static RfmScore[] ScoreRfm(CustomerSummaries summaries) => ScoreRfm(summaries, Cuts(summaries, clv: []));

    /// <summary>RFM of some customers against a population's cut-points (<see cref="Cuts"/>): one shard scores as the whole would.</summary>
    public static RfmScore[] ScoreRfm(CustomerSummaries summaries, SegmentCuts cuts)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        ArgumentNullException.ThrowIfNull(cuts);
        var scores = new RfmScore[summaries.Count];
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = new RfmScore(
                cuts.Recency.Score(summaries.Age[i] - summaries.Recency[i]),
                FrequencyScore(summaries.Frequency[i] + 1),
                cuts.Monetary.Score(summaries.TotalSpend[i]));
        }

        return scores;
    }

    /// <summary>
    /// The population's cut-points: R and M quintiles and the CLV value tiers. The nightly run computes them once
    /// from every shard's summaries (arrays of doubles) and segments each shard with them.
    /// </summary>
    /// <param name="clv">Every customer's CLV, in any order; empty when only RFM is wanted.</param>
    public static SegmentCuts Cuts(CustomerSummaries summaries, ReadOnlySpan<double> clv)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        var sinceLast = new double[summaries.Count];
        for (var i = 0; i < sinceLast.Length; i++)
        {
            sinceLast[i] = summaries.Age[i] - summaries.Recency[i];
        }

        if (sinceLast.Length == 0)
        {
            var none = new QuintileCuts([0, 0, 0, 0], true);
            return new SegmentCuts(none, none, ValueTiers.Cuts(clv));
        }

        return new SegmentCuts(
            QuintileScorer.Cuts(sinceLast, higherIsBetter: false),
            QuintileScorer.Cuts(summaries.TotalSpend, higherIsBetter: true),
            ValueTiers.Cuts(clv));
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
        ArgumentNullException.ThrowIfNull(scores);
        return Segment(summaries, scores, churnProbabilities, Cuts(summaries, scores.Clv));
    }

    /// <summary>Segments some customers (one shard) against the population's <paramref name="cuts"/>.</summary>
    public static CustomerSegment[] Segment(CustomerSummaries summaries, ClvScores scores, IReadOnlyList<double> churnProbabilities, SegmentCuts cuts)
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

        ArgumentNullException.ThrowIfNull(cuts);
        var rfm = ScoreRfm(summaries, cuts);
        var clv = scores.Clv;
        var segments = new CustomerSegment[summaries.Count];
        for (var i = 0; i < segments.Length; i++)
        {
            segments[i] = new CustomerSegment(
                summaries.CustomerIds[i],
                rfm[i],
                RfmSegmentTable.Segment(rfm[i]),
                cuts.Value.Tier(clv[i]),
                ChurnRisk.Tier(churnProbabilities[i]));
        }

        return segments;
    }
}

/// <summary>A population's segmentation cut-points: recency and monetary quintiles, CLV value tiers.</summary>
public sealed record SegmentCuts(QuintileCuts Recency, QuintileCuts Monetary, ValueTierCuts Value);
