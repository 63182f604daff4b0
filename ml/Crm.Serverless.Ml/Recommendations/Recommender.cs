namespace Crm.Serverless.Ml.Recommendations;

/// <summary>
/// Next best products for one customer: skus similar to what they bought (each bought sku weighted by how recently),
/// blended with popularity by how little is known about them, plus re-buys of skus that are normally re-bought.
/// Never a sku the customer bought unless it is normally re-bought, never one they only bought and had refunded.
/// </summary>
public static class Recommender
{
    /// <summary>How many of the most popular skus are candidates for every customer (a cold one has no neighbours).</summary>
    private const int PopularCandidates = 200;

    public static IReadOnlyList<Recommendation> Recommend(CoPurchaseModel model, CustomerItems customer, int count)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(customer);
        var options = model.Options;
        var similar = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var item in customer.Items)
        {
            var recency = Math.Pow(0.5, Math.Max(0, (model.CutoffUtc - item.LastUtc).TotalDays) / model.HalfLifeDays);
            foreach (var neighbour in model.Neighbours(item.Sku))
            {
                similar[neighbour.Sku] = similar.GetValueOrDefault(neighbour.Sku) + recency * neighbour.Score;
            }
        }

        var best = similar.Count == 0 ? 1 : similar.Values.Max();
        var popularityShare = options.PopularityPrior / (options.PopularityPrior + customer.Items.Count);
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (sku, score) in similar)
        {
            scores[sku] = (1 - popularityShare) * score / best;
        }

        for (var i = 0; i < Math.Min(PopularCandidates, model.Popular.Count); i++)
        {
            var popular = model.Popular[i];
            scores[popular.Sku] = scores.GetValueOrDefault(popular.Sku) + popularityShare * popular.Score;
        }

        foreach (var item in customer.Items)
        {
            // A bought sku comes back only as a re-buy, scored by how normal re-buying it is.
            scores.Remove(item.Sku);
            if (model.RepeatRates.TryGetValue(item.Sku, out var rate))
            {
                scores[item.Sku] = options.RepeatWeight * rate;
            }
        }

        foreach (var sku in customer.RefundedOnly)
        {
            scores.Remove(sku);
        }

        return Top(scores, count);
    }

    internal static Recommendation[] Top(Dictionary<string, double> scores, int count)
        => [.. scores.Where(pair => pair.Value > 0)
            .OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal)
            .Take(count)
            .Select(pair => new Recommendation(pair.Key, pair.Value))];
}
