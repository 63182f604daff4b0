using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Recommendations;

namespace Crm.Serverless.Ml.Tests.Recommendations;

public class RankingMetricsTests
{
    private static readonly HashSet<string> Relevant = new(["b", "d", "x"], StringComparer.Ordinal);

    [Fact]
    public void Metrics_HandFixture_EqualHandComputedValues()
    {
        string[] ranked = ["a", "b", "c", "d"];

        // Hits at ranks 2 and 4 of the three relevant skus: DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3) + 1/log2(4).
        Assert.Equal(1, RankingMetrics.HitRate(ranked, Relevant, 10));
        Assert.Equal(2.0 / 3, RankingMetrics.Recall(ranked, Relevant, 10), 12);
        Assert.Equal((0.6309297535714575 + 0.43067655807339306) / (1 + 0.6309297535714575 + 0.5), RankingMetrics.Ndcg(ranked, Relevant, 10), 12);

        // At k = 1 only "a" counts: no hit at all.
        Assert.Equal(0, RankingMetrics.HitRate(ranked, Relevant, 1));
        Assert.Equal(0, RankingMetrics.Recall(ranked, Relevant, 1));
        Assert.Equal(0, RankingMetrics.Ndcg(ranked, Relevant, 1));

        // The ideal order scores 1.
        Assert.Equal(1, RankingMetrics.Ndcg(["x", "d", "b"], Relevant, 10), 12);
    }

    [Fact]
    public void Evaluate_TinyShop_BaselinesScoreAsComputedByHand()
    {
        // Cut-off = last basket (Mar 31) - 30 days = Mar 1. Before it: p is bought by 3 customers, q by 2, r by 1.
        // Customer "c1" bought p and then buys r in the holdout; "c2" bought q and then buys s (never seen before).
        var jan = new DateTime(2024, 1, 10, 0, 0, 0, DateTimeKind.Utc);
        var mar = new DateTime(2024, 3, 31, 0, 0, 0, DateTimeKind.Utc);
        Basket B(string customer, string id, DateTime at, params string[] skus)
            => new(customer, id, at, [.. skus.Select(s => new BasketLine(s, 1, 10, "K"))]);
        Basket[] baskets =
        [
            B("c1", "1", jan, "p"), B("c2", "2", jan, "q"), B("c3", "3", jan, "p", "q"), B("c4", "4", jan, "p", "r"),
            B("c1", "5", mar, "r"), B("c2", "6", mar, "s"),
        ];

        var report = RecommendationEvaluation.Evaluate("tiny", baskets, 30, new RecommenderOptions());

        Assert.Equal(2, report.Customers);
        Assert.Equal(new DateTime(2024, 3, 1, 0, 0, 0, DateTimeKind.Utc), report.CutoffUtc);

        // Global popularity without what each bought: c1 gets [q, r] (a hit on r at rank 2), c2 gets [p, r] (no hit).
        var global = report.Rankers.Single(r => r.Name == RecommendationEvaluationReport.GlobalPopularity);
        Assert.Equal(0.5, global.HitRate, 12);
        Assert.Equal(0.5, global.Recall, 12);
        Assert.Equal(0.5 * (1 / Math.Log2(3)), global.Ndcg, 12);
    }
}
