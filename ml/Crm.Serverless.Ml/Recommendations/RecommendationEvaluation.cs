using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Recommendations;

/// <summary>One ranker's mean metrics at k over the evaluated customers.</summary>
public sealed record RankerResult(string Name, double HitRate, double Recall, double Ndcg);

/// <summary>
/// The holdout evaluation: <see cref="Customers"/> customers who bought before <see cref="CutoffUtc"/> and again after
/// it, each ranker's metrics at <see cref="K"/>, and the recommender's hit rate relative to the better baseline.
/// </summary>
public sealed record RecommendationEvaluationReport(
    string Name,
    DateTime CutoffUtc,
    int HoldoutDays,
    int K,
    int Customers,
    int Skus,
    string Method,
    IReadOnlyList<RankerResult> Rankers)
{
    public const string GlobalPopularity = "global popularity";

    public const string CategoryPopularity = "popularity in top category";

    public RankerResult Recommender => Rankers[0];

    /// <summary>Recommender hit rate over the best baseline's, minus 1 (0.10 = 10% better).</summary>
    public double HitRateGainOverBestBaseline
    {
        get
        {
            var best = Rankers.Where(r => r.Name is GlobalPopularity or CategoryPopularity).Max(r => r.HitRate);
            return best == 0 ? double.PositiveInfinity : Recommender.HitRate / best - 1;
        }
    }
}

/// <summary>
/// Honest evaluation of next best products, like the churn models': hold out the last days, learn only from the
/// baskets before, recommend, and score against what each customer really bought in the holdout. Two baselines:
/// global popularity and popularity in the customer's most-bought category, both under the recommender's own rules
/// (no sku already bought unless normally re-bought, no refunded-only sku), so only the ranking differs.
/// </summary>
public static class RecommendationEvaluation
{
    public const int K = 10;

    /// <summary>Files (<c>crm evaluate --recommendations</c>): the holdout is the last <paramref name="holdoutDays"/> before the latest basket, every customer who bought in both is scored.</summary>
    public static RecommendationEvaluationReport Evaluate(string name, IEnumerable<Basket> baskets, int holdoutDays, RecommenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(baskets);
        ArgumentNullException.ThrowIfNull(options);
        var all = baskets as IReadOnlyList<Basket> ?? [.. baskets];
        if (all.Count == 0)
        {
            throw new ArgumentException("There are no baskets to evaluate.", nameof(baskets));
        }

        var cutoff = all.Max(b => b.TimestampUtc).AddDays(-holdoutDays);
        var customers = new List<HeldOutCustomer>();
        var counts = CoPurchaseCounts.For(cutoff, options);
        foreach (var group in all.GroupBy(b => b.CustomerId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var (items, heldOut) = HeldOutCustomer.Of(group.Key, group, cutoff, DateTime.MaxValue);
            counts.Add(items);
            if (heldOut is not null)
            {
                customers.Add(heldOut);
            }
        }

        return Evaluate(name, counts.Prune(), customers, holdoutDays, options);
    }

    /// <summary>
    /// The one evaluator, for files and for the night alike: the recommender and both baselines learn from
    /// <paramref name="counts"/> (everyone's baskets up to the cut-off, merged from shards or counted in one pass) and are
    /// scored on <paramref name="customers"/> (all of them, or the night's capped sample).
    /// </summary>
    public static RecommendationEvaluationReport Evaluate(string name, CoPurchaseCounts counts, IReadOnlyList<HeldOutCustomer> customers, int holdoutDays, RecommenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(customers);
        ArgumentNullException.ThrowIfNull(options);
        var model = CoPurchaseModel.Build(counts, options);
        var byCategory = model.Popular
            .GroupBy(p => counts.Skus[p.Sku].Category ?? "", StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        var rankers = new (string Name, Func<CustomerItems, IReadOnlyList<string>> Rank)[]
        {
            ("recommender (" + options.Method + ")", c => [.. Recommender.Recommend(model, c, K).Select(r => r.Sku)]),
            (RecommendationEvaluationReport.GlobalPopularity, c => Baselines.Popular(model, c, model.Popular, K)),
            (RecommendationEvaluationReport.CategoryPopularity, c => Baselines.Popular(model, c, byCategory.GetValueOrDefault(Baselines.TopCategory(c)) ?? [], K)),
        };

        var results = new List<RankerResult>();
        foreach (var (rankerName, rank) in rankers)
        {
            double hits = 0, recall = 0, ndcg = 0;
            foreach (var customer in customers)
            {
                var ranked = rank(customer.Items);
                hits += RankingMetrics.HitRate(ranked, customer.Relevant, K);
                recall += RankingMetrics.Recall(ranked, customer.Relevant, K);
                ndcg += RankingMetrics.Ndcg(ranked, customer.Relevant, K);
            }

            var n = Math.Max(1, customers.Count);
            results.Add(new RankerResult(rankerName, hits / n, recall / n, ndcg / n));
        }

        return new RecommendationEvaluationReport(name, counts.CutoffUtc, holdoutDays, K, customers.Count, counts.Skus.Count, options.Method.ToString(), results);
    }

    public static string ToMarkdown(RecommendationEvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new System.Text.StringBuilder();
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        text.Append(invariant, $"{report.Name}: learned from baskets up to {report.CutoffUtc:yyyy-MM-dd}, scored on the last {report.HoldoutDays} days; {report.Customers:N0} customers who bought in both, {report.Skus:N0} skus").AppendLine().AppendLine();
        text.AppendLine($"| ranker | hit rate@{report.K} | recall@{report.K} | NDCG@{report.K} |");
        text.AppendLine("|---|---:|---:|---:|");
        foreach (var ranker in report.Rankers)
        {
            text.Append(invariant, $"| {ranker.Name} | {ranker.HitRate:0.000} | {ranker.Recall:0.000} | {ranker.Ndcg:0.000} |").AppendLine();
        }

        text.AppendLine().Append(invariant, $"Hit rate@{report.K} against the better baseline: {report.HitRateGainOverBestBaseline:+0.0%;-0.0%}").AppendLine();
        return text.ToString();
    }
}

/// <summary>A customer scored by the evaluation: what they bought up to the cut-off, and the skus they bought after it.</summary>
public sealed record HeldOutCustomer(CustomerItems Items, IReadOnlySet<string> Relevant)
{
    /// <summary>
    /// The customer's items up to <paramref name="cutoffUtc"/> (what the counts take) and, when they bought before it and
    /// again in (cut-off, <paramref name="endUtc"/>], the held-out customer (else null).
    /// </summary>
    public static (CustomerItems Items, HeldOutCustomer? HeldOut) Of(string customerId, IEnumerable<Basket> baskets, DateTime cutoffUtc, DateTime endUtc)
    {
        ArgumentNullException.ThrowIfNull(baskets);
        var all = baskets as IReadOnlyCollection<Basket> ?? [.. baskets];
        var items = CustomerItems.From(customerId, all, cutoffUtc);
        var relevant = all.Where(b => b.TimestampUtc > cutoffUtc && b.TimestampUtc <= endUtc)
            .SelectMany(b => b.Lines).Where(l => l.Quantity > 0).Select(l => l.Sku).ToHashSet(StringComparer.Ordinal);
        return (items, items.Items.Count > 0 && relevant.Count > 0 ? new HeldOutCustomer(items, relevant) : null);
    }

    public HeldOutData ToData() => new(Items.ToData(), [.. Relevant.Order(StringComparer.Ordinal)]);

    public static HeldOutCustomer FromData(HeldOutData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new HeldOutCustomer(CustomerItems.FromData(data.Items), data.Relevant.ToHashSet(StringComparer.Ordinal));
    }
}

/// <summary><see cref="HeldOutCustomer"/> as plain data.</summary>
public sealed record HeldOutData(CustomerItemsData Items, string[] Relevant);

/// <summary>The two popularity baselines, under the recommender's eligibility rules.</summary>
public static class Baselines
{
    /// <summary>The category the customer bought most often (baskets with it), ties to the ordinally first.</summary>
    public static string TopCategory(CustomerItems customer)
    {
        ArgumentNullException.ThrowIfNull(customer);
        return customer.Items.GroupBy(i => i.Category ?? "", StringComparer.Ordinal)
            .Select(g => (Category: g.Key, Baskets: g.Sum(i => i.Baskets)))
            .OrderByDescending(g => g.Baskets).ThenBy(g => g.Category, StringComparer.Ordinal)
            .Select(g => g.Category).FirstOrDefault() ?? "";
    }

    /// <summary>The first eligible skus of <paramref name="ranked"/>, topped up from global popularity.</summary>
    public static IReadOnlyList<string> Popular(CoPurchaseModel model, CustomerItems customer, IEnumerable<Recommendation> ranked, int count)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(customer);
        var bought = customer.Items.Select(i => i.Sku).ToHashSet(StringComparer.Ordinal);
        var chosen = new List<string>(count);
        foreach (var candidate in ranked.Concat(model.Popular))
        {
            if (chosen.Count == count)
            {
                break;
            }

            var sku = candidate.Sku;
            var eligible = !customer.RefundedOnly.Contains(sku) && (!bought.Contains(sku) || model.RepeatRates.ContainsKey(sku));
            if (eligible && !chosen.Contains(sku))
            {
                chosen.Add(sku);
            }
        }

        return chosen;
    }
}
