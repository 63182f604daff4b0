using System.ComponentModel.DataAnnotations;

namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// Label windows, the training cut-off schedule, the tree settings and the promotion tolerance of the churn and
/// purchase models. Bound from the "Models" configuration section.
/// </summary>
public sealed record PropensityOptions
{
    public const string SectionName = "Models";

    /// <summary>A customer has churned at a cut-off when they buy nothing in this many days after it.</summary>
    [Range(1, 730)]
    public int ChurnWindowDays { get; set; } = 90;

    /// <summary>A customer is a purchase positive when they buy at least once in this many days after a cut-off.</summary>
    [Range(1, 730)]
    public int PurchaseWindowDays { get; set; } = 30;

    /// <summary>Days between consecutive training cut-offs.</summary>
    [Range(1, 365)]
    public int CutoffStepDays { get; set; } = 30;

    /// <summary>How far back from the newest training cut-off older cut-offs are taken.</summary>
    [Range(0, 3650)]
    public int TrainingSpanDays { get; set; } = 360;

    /// <summary>
    /// Cap on training plus calibration rows (customers × cut-offs); above it a seeded share of customers is used, so
    /// training time stays bounded on large shops.
    /// </summary>
    [Range(1000, int.MaxValue)]
    public int MaximumTrainingRows { get; set; } = 1_000_000;

    [Range(1, 5000)]
    public int NumberOfTrees { get; set; } = 200;

    [Range(2, 1024)]
    public int NumberOfLeaves { get; set; } = 16;

    [Range(1, 1_000_000)]
    public int MinimumExampleCountPerLeaf { get; set; } = 50;

    [Range(0.0001, 1.0)]
    public double LearningRate { get; set; } = 0.05;

    public int Seed { get; set; } = 42;

    public ProbabilityCalibration Calibration { get; set; } = ProbabilityCalibration.Platt;

    /// <summary>A candidate may lose at most this much holdout AUC against the current model and still be promoted.</summary>
    [Range(0.0, 1.0)]
    public double PromotionAucTolerance { get; set; } = 0.01;

    /// <summary>A candidate's holdout ECE may exceed the BG/NBD baseline's by at most this much and still be promoted.</summary>
    [Range(0.0, 1.0)]
    public double PromotionEceTolerance { get; set; } = 0.01;

    /// <summary>
    /// How many of the last promoted versions a candidate is compared with on the new holdout (within
    /// <see cref="PromotionAucTolerance"/> of the best of them), so the AUC cannot slide by the tolerance every night.
    /// </summary>
    [Range(0, 100)]
    public int PromotionHistory { get; set; } = 5;

    /// <summary>No candidate below this holdout AUC is promoted, whatever the baselines scored.</summary>
    [Range(0.5, 1.0)]
    public double MinimumPromotableAuc { get; set; } = 0.55;

    public int LabelWindowDays(PropensityTarget target) => target switch
    {
        PropensityTarget.Churn => ChurnWindowDays,
        PropensityTarget.Purchase => PurchaseWindowDays,
        _ => throw new ArgumentOutOfRangeException(nameof(target), target, "Unknown propensity target."),
    };
}
