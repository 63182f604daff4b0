namespace Crm.Serverless.Ml.Segmentation;

public enum ValueTier
{
    Low,
    Medium,
    High,
}

/// <summary>
/// Tiers customers by CLV rank: the top 10% High, the next 40% Medium, the rest Low. A customer's rank counts the
/// customers with a CLV at least as high, itself included, so equal CLVs share the lower tier and a base where
/// everyone is worth the same (say, nothing) is all Low rather than all High.
/// </summary>
public static class ValueTiers
{
    public const double HighShare = 0.10;
    public const double MediumShare = 0.40;

    public static ValueTier[] Assign(ReadOnlySpan<double> clv)
    {
        var sorted = clv.ToArray();
        Array.Sort(sorted);
        var n = sorted.Length;
        var tiers = new ValueTier[n];
        for (var i = 0; i < n; i++)
        {
            var atLeastAsHigh = n - QuintileScorer.CountBelow(sorted, clv[i]);
            tiers[i] = atLeastAsHigh <= HighShare * n ? ValueTier.High
                : atLeastAsHigh <= (HighShare + MediumShare) * n ? ValueTier.Medium
                : ValueTier.Low;
        }

        return tiers;
    }
}
