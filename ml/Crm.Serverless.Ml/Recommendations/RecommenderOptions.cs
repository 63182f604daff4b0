using System.ComponentModel.DataAnnotations;

namespace Crm.Serverless.Ml.Recommendations;

/// <summary>How two skus' co-purchase counts become a similarity; chosen by measurement (docs/models.md).</summary>
public enum SimilarityMethod
{
    /// <summary>c(a,b) / sqrt(n(a) n(b)): symmetric, damps popular skus.</summary>
    Cosine,

    /// <summary>c(a,b) / n(a), the share of a's buyers who also bought b: favours popular b.</summary>
    ConditionalProbability,

    /// <summary>c(a,b) N / (n(a) n(b)), shrunk by c / (c + shrinkage): how much more often than chance.</summary>
    Lift,
}

/// <summary>Settings of the next-best-products recommender (configuration section <c>Recommendations</c>).</summary>
public sealed class RecommenderOptions
{
    public const string SectionName = "Recommendations";

    public SimilarityMethod Method { get; set; } = SimilarityMethod.Cosine;

    /// <summary>A purchase this many days before the cut-off counts half as much as one on the day.</summary>
    [Range(1, 3650)]
    public double HalfLifeDays { get; set; } = 365;

    /// <summary>Skus per customer that enter the co-purchase counts (the most recent): bounds the pairs per customer.</summary>
    [Range(2, 500)]
    public int MaxItemsPerCustomer { get; set; } = 50;

    /// <summary>
    /// Sku pairs kept in one set of co-purchase counts (a shard's partial, and the merge of them): bounds the memory
    /// of the nightly stages whatever the catalogue. The lightest pairs go first (<see cref="CoPurchaseCounts"/>).
    /// 500,000 pairs are ~50 MB in memory and ~10 MB as a night artefact.
    /// </summary>
    [Range(1_000, 50_000_000)]
    public int MaxPairs { get; set; } = 500_000;

    /// <summary>The nightly evaluation holds out this many days before the as-of date (<c>crm evaluate --holdout-days</c> for files).</summary>
    [Range(1, 365)]
    public int HoldoutDays { get; set; } = 30;

    /// <summary>Most similar skus kept per sku: bounds the model and the work per customer.</summary>
    [Range(1, 1000)]
    public int Neighbours { get; set; } = 50;

    /// <summary>Lift only: pseudo-count that shrinks the lift of pairs seen a few times towards 0.</summary>
    [Range(0, 1000)]
    public double LiftShrinkage { get; set; } = 5;

    /// <summary>
    /// Weight of popularity for a customer with n skus: k / (k + n). A cold customer (few skus) gets mostly the
    /// popular skus, a customer with a long history mostly their co-purchase neighbours.
    /// </summary>
    [Range(0, 1000)]
    public double PopularityPrior { get; set; } = 1;

    /// <summary>A sku counts as re-bought normally when at least this share of its buyers who bought again later bought it again.</summary>
    [Range(0.0, 1.0)]
    public double RepeatRateThreshold { get; set; } = 0.25;

    /// <summary>Buyers (with a later purchase) a sku needs before its repeat rate is trusted.</summary>
    [Range(1, 100_000)]
    public int MinimumRepeatBuyers { get; set; } = 5;

    /// <summary>Score of a re-buy per unit of the sku's repeat rate, on the scale where the best new sku scores 1.</summary>
    [Range(0, 100)]
    public double RepeatWeight { get; set; } = 3;

    /// <summary>Recommendations stored per customer.</summary>
    [Range(1, 100)]
    public int TopN { get; set; } = 10;
}
