namespace Crm.Serverless.Ml.Segmentation;

/// <summary>Quintile scores 1-5, 5 best: most recent, most frequent, highest spend.</summary>
public readonly record struct RfmScore(int Recency, int Frequency, int Monetary)
{
    /// <summary>The mean of F and M rounded half up, the axis the segment table uses with R.</summary>
    public int FrequencyMonetary => (Frequency + Monetary + 1) / 2;

    public override string ToString() => $"{Recency}{Frequency}{Monetary}";
}
