namespace Crm.Serverless.Ml.Recommendations;

/// <summary>Top-k ranking metrics for one customer, relevance binary (bought in the holdout window or not).</summary>
public static class RankingMetrics
{
    /// <summary>1 when any of the first k recommended skus is relevant, else 0.</summary>
    public static double HitRate(IReadOnlyList<string> ranked, IReadOnlySet<string> relevant, int k)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        ArgumentNullException.ThrowIfNull(relevant);
        return ranked.Take(k).Any(relevant.Contains) ? 1 : 0;
    }

    /// <summary>Share of the relevant skus found in the first k.</summary>
    public static double Recall(IReadOnlyList<string> ranked, IReadOnlySet<string> relevant, int k)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        ArgumentNullException.ThrowIfNull(relevant);
        return relevant.Count == 0 ? 0 : (double)ranked.Take(k).Count(relevant.Contains) / relevant.Count;
    }

    /// <summary>DCG of the first k (gain 1 / log2(rank + 1)) over the DCG of the ideal order (min(k, relevant) hits first).</summary>
    public static double Ndcg(IReadOnlyList<string> ranked, IReadOnlySet<string> relevant, int k)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        ArgumentNullException.ThrowIfNull(relevant);
        var dcg = 0.0;
        for (var i = 0; i < Math.Min(k, ranked.Count); i++)
        {
            dcg += relevant.Contains(ranked[i]) ? 1 / Math.Log2(i + 2) : 0;
        }

        var ideal = 0.0;
        for (var i = 0; i < Math.Min(k, relevant.Count); i++)
        {
            ideal += 1 / Math.Log2(i + 2);
        }

        return ideal == 0 ? 0 : dcg / ideal;
    }
}
