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

    /// <summary>
    /// The CLVs above which a customer of this population is High and Medium: High needs at most
    /// floor(HighShare * n) customers at least as high, i.e. at least n - that many strictly below.
    /// </summary>
    public static ValueTierCuts Cuts(ReadOnlySpan<double> clv)
    {
        var sorted = clv.ToArray();
        Array.Sort(sorted);
        var n = sorted.Length;
        return new ValueTierCuts(Above(sorted, n, HighShare * n), Above(sorted, n, (HighShare + MediumShare) * n));
    }

    /// <summary>The value v must exceed for at most <paramref name="share"/> customers to be at least as high as v.</summary>
    private static double Above(double[] sorted, int n, double share)
    {
        var below = n - (int)Math.Floor(share);
        return below <= 0 ? double.NegativeInfinity : below > n ? double.PositiveInfinity : sorted[below - 1];
    }
}

/// <summary>A population's value-tier cut-points (<see cref="ValueTiers.Cuts"/>).</summary>
public readonly record struct ValueTierCuts(double HighAbove, double MediumAbove)
{
    public ValueTier Tier(double clv) => clv > HighAbove ? ValueTier.High : clv > MediumAbove ? ValueTier.Medium : ValueTier.Low;
}
