using System.Globalization;
using System.Text;

namespace Crm.Serverless.Ml.Segmentation;

/// <summary>One segment's size, mean churn probability and mean CLV.</summary>
public sealed record SegmentStanding(RfmSegment Segment, int Customers, double Share, double MeanChurnProbability, double MeanClv);

/// <summary>
/// Whether the segment names are true of their members: Champions should be the least likely to leave and the most
/// valuable, and no segment should swallow the base. <c>crm evaluate</c> prints it for every data set and as-of date.
/// </summary>
public sealed record SegmentProfile(IReadOnlyList<SegmentStanding> Segments)
{
    /// <summary>No segment should hold more than this share of the customers unless the data leave no choice.</summary>
    public const double MaximumShare = 0.25;

    public SegmentStanding? Champions => Segments.FirstOrDefault(s => s.Segment == RfmSegment.Champions && s.Customers > 0);

    public SegmentStanding Largest => Segments.MaxBy(s => s.Customers)!;

    public bool ChampionsLeastLikelyToChurn => Champions is { } c && Segments.Where(s => s.Customers > 0).All(s => s.MeanChurnProbability >= c.MeanChurnProbability);

    public bool ChampionsMostValuable => Champions is { } c && Segments.Where(s => s.Customers > 0).All(s => s.MeanClv <= c.MeanClv);

    /// <param name="churnProbabilities">Per customer, in segment order: the probability of no purchase in the churn window.</param>
    /// <param name="clv">Per customer, in segment order.</param>
    public static SegmentProfile Of(IReadOnlyList<CustomerSegment> segments, IReadOnlyList<double> churnProbabilities, ReadOnlySpan<double> clv)
    {
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentNullException.ThrowIfNull(churnProbabilities);
        if (churnProbabilities.Count != segments.Count || clv.Length != segments.Count)
        {
            throw new ArgumentException("Need one churn probability and one CLV per customer.", nameof(segments));
        }

        var count = new int[Enum.GetValues<RfmSegment>().Length];
        var churn = new double[count.Length];
        var value = new double[count.Length];
        for (var i = 0; i < segments.Count; i++)
        {
            var segment = (int)segments[i].Segment;
            count[segment]++;
            churn[segment] += churnProbabilities[i];
            value[segment] += clv[i];
        }

        var total = Math.Max(segments.Count, 1);
        return new SegmentProfile([.. Enum.GetValues<RfmSegment>().Select(s => new SegmentStanding(
            s,
            count[(int)s],
            (double)count[(int)s] / total,
            count[(int)s] == 0 ? double.NaN : churn[(int)s] / count[(int)s],
            count[(int)s] == 0 ? double.NaN : value[(int)s] / count[(int)s]))]);
    }

    /// <summary>A markdown table of the segments, then the three checks in one line.</summary>
    public string ToMarkdown(string title)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"| {title} | customers | share | mean P(churn) | mean CLV |\n|---|---:|---:|---:|---:|\n");
        foreach (var s in Segments)
        {
            text.Append(CultureInfo.InvariantCulture, $"| {s.Segment.DisplayName()} | {s.Customers} | {s.Share:P1} | {s.MeanChurnProbability:F3} | {s.MeanClv:F2} |\n");
        }

        text.Append(CultureInfo.InvariantCulture,
            $"\nChampions least likely to churn: {(ChampionsLeastLikelyToChurn ? "yes" : "NO")}; most valuable: {(ChampionsMostValuable ? "yes" : "NO")}; largest segment {Largest.Segment.DisplayName()} with {Largest.Share:P1} (limit {MaximumShare:P0}).\n");
        return text.ToString();
    }
}
