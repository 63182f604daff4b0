using System.Text;

namespace Crm.Serverless.Ml.Segmentation;

/// <summary>
/// The one place that maps (R, FM) scores to named segments. It is the common R vs. average-of-F-and-M table of
/// the RFM literature (Champions R 4-5 / FM 4-5, Loyal R 2-5 / FM 3-5, ... Lost R 1-2 / FM 1-2) made into a
/// partition: the published ranges overlap, so each of the 25 cells is given to exactly one segment whose
/// ranges contain it. docs/segments.md is generated from <see cref="ToMarkdown"/> and a test keeps it in step.
/// </summary>
public static class RfmSegmentTable
{
    // Rows R = 5 (most recent) down to 1; columns FM = 1..5. (4, 4) is Loyal rather than Champion: with it, Champions
    // held over a quarter of CDNOW and of a frequent-buyer shop, and a name that a quarter of the base earns says little.
    private static readonly RfmSegment[,] Grid =
    {
        { RfmSegment.NewCustomers, RfmSegment.PotentialLoyalists, RfmSegment.PotentialLoyalists, RfmSegment.Champions, RfmSegment.Champions },
        { RfmSegment.Promising, RfmSegment.PotentialLoyalists, RfmSegment.LoyalCustomers, RfmSegment.LoyalCustomers, RfmSegment.Champions },
        { RfmSegment.AboutToSleep, RfmSegment.NeedAttention, RfmSegment.NeedAttention, RfmSegment.LoyalCustomers, RfmSegment.LoyalCustomers },
        { RfmSegment.Hibernating, RfmSegment.AboutToSleep, RfmSegment.AtRisk, RfmSegment.AtRisk, RfmSegment.AtRisk },
        { RfmSegment.Lost, RfmSegment.Hibernating, RfmSegment.AtRisk, RfmSegment.CantLoseThem, RfmSegment.CantLoseThem },
    };

    public static RfmSegment Segment(RfmScore score) => Segment(score.Recency, score.FrequencyMonetary);

    public static RfmSegment Segment(int recency, int frequencyMonetary)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(recency, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(recency, 5);
        ArgumentOutOfRangeException.ThrowIfLessThan(frequencyMonetary, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(frequencyMonetary, 5);
        return Grid[5 - recency, frequencyMonetary - 1];
    }

    public static string DisplayName(this RfmSegment segment) => segment switch
    {
        RfmSegment.Champions => "Champions",
        RfmSegment.LoyalCustomers => "Loyal Customers",
        RfmSegment.PotentialLoyalists => "Potential Loyalists",
        RfmSegment.NewCustomers => "New Customers",
        RfmSegment.Promising => "Promising",
        RfmSegment.NeedAttention => "Need Attention",
        RfmSegment.AboutToSleep => "About to Sleep",
        RfmSegment.AtRisk => "At Risk",
        RfmSegment.CantLoseThem => "Can't Lose Them",
        RfmSegment.Hibernating => "Hibernating",
        RfmSegment.Lost => "Lost",
        _ => throw new ArgumentOutOfRangeException(nameof(segment), segment, "Unknown segment."),
    };

    /// <summary>The segment's name in URLs and CSV: "Can't Lose Them" becomes "cant-lose-them".</summary>
    public static string Slug(this RfmSegment segment)
        => segment.DisplayName().Replace("'", "", StringComparison.Ordinal).Replace(' ', '-').ToLowerInvariant();

    /// <summary>Every segment's slug, in the enum's order.</summary>
    public static IReadOnlyList<string> Slugs { get; } = [.. Enum.GetValues<RfmSegment>().Select(s => s.Slug())];

    /// <summary>The segment with this slug, if any.</summary>
    public static RfmSegment? FromSlug(string slug)
        => Enum.GetValues<RfmSegment>().Select(s => (RfmSegment?)s).FirstOrDefault(s => string.Equals(s!.Value.Slug(), slug, StringComparison.OrdinalIgnoreCase));

    /// <summary>The grid as a markdown table (rows R = 5..1, columns FM = 1..5), then each segment's cells.</summary>
    public static string ToMarkdown()
    {
        var markdown = new StringBuilder();
        markdown.Append("| R \\ FM | 1 | 2 | 3 | 4 | 5 |\n");
        markdown.Append("|---|---|---|---|---|---|\n");
        for (var recency = 5; recency >= 1; recency--)
        {
            markdown.Append("| **").Append(recency).Append("** |");
            for (var frequencyMonetary = 1; frequencyMonetary <= 5; frequencyMonetary++)
            {
                markdown.Append(' ').Append(Segment(recency, frequencyMonetary).DisplayName()).Append(" |");
            }

            markdown.Append('\n');
        }

        markdown.Append("\n| Segment | Cells (R, FM) |\n|---|---|\n");
        foreach (var segment in Enum.GetValues<RfmSegment>())
        {
            var cells = new List<string>();
            for (var recency = 5; recency >= 1; recency--)
            {
                for (var frequencyMonetary = 1; frequencyMonetary <= 5; frequencyMonetary++)
                {
                    if (Segment(recency, frequencyMonetary) == segment)
                    {
                        cells.Add($"({recency}, {frequencyMonetary})");
                    }
                }
            }

            markdown.Append("| ").Append(segment.DisplayName()).Append(" | ").AppendJoin(", ", cells).Append(" |\n");
        }

        return markdown.ToString();
    }
}
