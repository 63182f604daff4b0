namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// Everything needed to judge and reuse a trained model without opening it: what it predicts, on which cut-offs it
/// learned, how it scored on the holdout, and the feature layout it expects. Stored as JSON beside the model zip.
/// </summary>
public sealed record PropensityModelMetadata
{
    public required PropensityTarget Target { get; init; }

    public required string Trainer { get; init; }

    public required TreeSettings TreeSettings { get; init; }

    public required ProbabilityCalibration Calibration { get; init; }

    public required DateTime AsOfUtc { get; init; }

    public required int LabelWindowDays { get; init; }

    public required DateTime HoldoutCutoffUtc { get; init; }

    /// <summary>Cut-offs the trees learned from, oldest first.</summary>
    public required IReadOnlyList<CutoffRowCount> TrainingCutoffs { get; init; }

    /// <summary>The held-back newest training cut-off the calibrator was fitted on; null for built-in calibration.</summary>
    public CutoffRowCount? CalibrationCutoff { get; init; }

    /// <summary>First training cut-off to the end of the last training label window: all data the model learned from.</summary>
    public required DateTime TrainingWindowStartUtc { get; init; }

    public required DateTime TrainingWindowEndUtc { get; init; }

    public required int TrainingRows { get; init; }

    public required int CalibrationRows { get; init; }

    public required int HoldoutRows { get; init; }

    public required IReadOnlyList<string> FeatureNames { get; init; }

    public required HoldoutEvaluation Holdout { get; init; }

    public required LogisticBaseline RecencyBaseline { get; init; }

    public required LogisticBaseline FrequencyBaseline { get; init; }

    public required double TrainingSeconds { get; init; }
}

/// <summary>The FastTree settings a model was trained with.</summary>
public sealed record TreeSettings(int NumberOfTrees, int NumberOfLeaves, int MinimumExampleCountPerLeaf, double LearningRate, int Seed);
