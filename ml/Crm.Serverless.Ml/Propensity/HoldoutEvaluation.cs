namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// A model's metrics on the holdout cut-off beside two one-feature baselines scored on the very same rows, so a model
/// that does not beat "days since last purchase" is visible at a glance.
/// </summary>
public sealed record HoldoutEvaluation(
    DateTime HoldoutCutoffUtc,
    int Rows,
    double PositiveRate,
    BinaryMetrics Model,
    BinaryMetrics RecencyBaseline,
    BinaryMetrics FrequencyBaseline);
