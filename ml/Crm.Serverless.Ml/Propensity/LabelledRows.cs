namespace Crm.Serverless.Ml.Propensity;

/// <summary>Feature rows and labels from one or more cut-offs, stacked in cut-off order.</summary>
public sealed class LabelledRows
{
    private LabelledRows(FeatureLayout layout, float[] features, bool[] labels, int[] customerIndices, IReadOnlyList<CutoffRowCount> cutoffs)
    {
        Layout = layout;
        Features = features;
        Labels = labels;
        CustomerIndices = customerIndices;
        Cutoffs = cutoffs;
    }

    public int Count => Labels.Length;

    public FeatureLayout Layout { get; }

    /// <summary>Row-major, <see cref="FeatureLayout.Count"/> values per row.</summary>
    internal float[] Features { get; }

    internal bool[] Labels { get; }

    internal int[] CustomerIndices { get; }

    public IReadOnlyList<CutoffRowCount> Cutoffs { get; }

    public ReadOnlySpan<float> Row(int row) => Features.AsSpan(row * Layout.Count, Layout.Count);

    public bool Label(int row) => Labels[row];

    public float Value(int row, int feature) => Features[(row * Layout.Count) + feature];

    /// <summary>Stacks two row sets, keeping their per-cut-off counts.</summary>
    public static LabelledRows Concat(LabelledRows first, LabelledRows second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Layout != second.Layout)
        {
            throw new ArgumentException("Rows of different feature layouts cannot be stacked.", nameof(second));
        }

        return new LabelledRows(
            first.Layout,
            [.. first.Features, .. second.Features],
            [.. first.Labels, .. second.Labels],
            [.. first.CustomerIndices, .. second.CustomerIndices],
            [.. first.Cutoffs, .. second.Cutoffs]);
    }

    internal LabelledRows WithShuffledLabels(Random random)
    {
        var labels = (bool[])Labels.Clone();
        random.Shuffle(labels);
        return new LabelledRows(Layout, Features, labels, CustomerIndices, Cutoffs);
    }

    /// <summary>Builds rows for every cut-off that has at least one known customer.</summary>
    public static LabelledRows Build(PurchaseTable table, IEnumerable<DateTime> cutoffsUtc, PropensityTarget target, int windowDays)
        => Build(table, cutoffsUtc, target, windowDays, customerMask: null);

    internal static LabelledRows Build(
        PurchaseTable table, IEnumerable<DateTime> cutoffsUtc, PropensityTarget target, int windowDays, bool[]? customerMask)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(cutoffsUtc);
        var layout = table.Layout;
        var parts = new List<(FeatureRows Rows, bool[] Labels)>();
        foreach (var cutoff in cutoffsUtc.Order())
        {
            var rows = FeatureBuilder.Build(table, cutoff, windowDays, customerMask);
            if (rows.Count > 0)
            {
                parts.Add((rows, PropensityLabeler.Label(table, rows, target, windowDays)));
            }
        }

        var total = parts.Sum(p => p.Rows.Count);
        var features = new float[total * layout.Count];
        var labels = new bool[total];
        var customers = new int[total];
        var counts = new List<CutoffRowCount>(parts.Count);
        var at = 0;
        foreach (var (rows, partLabels) in parts)
        {
            rows.Values.CopyTo(features, at * layout.Count);
            partLabels.CopyTo(labels, at);
            rows.CustomerIndices.CopyTo(customers, at);
            counts.Add(new CutoffRowCount(rows.AsOfUtc, rows.Count, partLabels.Count(l => l)));
            at += rows.Count;
        }

        return new LabelledRows(layout, features, labels, customers, counts);
    }
}

/// <summary>How many rows (and positives) one cut-off contributed.</summary>
public sealed record CutoffRowCount(DateTime CutoffUtc, int Rows, int Positives);
