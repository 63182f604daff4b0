namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// Feature rows for the customers known at one date, row-major in one float array
/// (<see cref="FeatureLayout.Count"/> values per row) so a million rows are one allocation.
/// </summary>
public sealed class FeatureRows
{
    internal FeatureRows(DateTime asOfUtc, FeatureLayout layout, int[] customerIndices, float[] values)
    {
        AsOfUtc = asOfUtc;
        Layout = layout;
        CustomerIndices = customerIndices;
        Values = values;
    }

    public DateTime AsOfUtc { get; }

    public FeatureLayout Layout { get; }

    public int Count => CustomerIndices.Length;

    /// <summary>Index into the <see cref="PurchaseTable"/> of each row's customer.</summary>
    internal int[] CustomerIndices { get; }

    internal float[] Values { get; }

    public int CustomerIndex(int row) => CustomerIndices[row];

    public ReadOnlySpan<float> Row(int row) => Values.AsSpan(row * Layout.Count, Layout.Count);

    public float Value(int row, int feature) => Values[(row * Layout.Count) + feature];
}
