namespace Crm.Serverless.Ml.Propensity;

/// <summary>What a propensity model predicts for each customer at a cut-off date.</summary>
public enum PropensityTarget
{
    /// <summary>Positive when the customer makes no purchase in the churn window after the cut-off.</summary>
    Churn,

    /// <summary>Positive when the customer makes at least one purchase in the purchase window after the cut-off.</summary>
    Purchase,
}

/// <summary>How the trained trees' scores become probabilities.</summary>
public enum ProbabilityCalibration
{
    /// <summary>FastTree's own sigmoid, fitted on the rows the trees learned from (tends to be over-confident).</summary>
    BuiltIn,

    /// <summary>Platt scaling fitted on the newest training cut-off, which the trees never saw.</summary>
    Platt,

    /// <summary>Isotonic (PAV) map fitted on the newest training cut-off, which the trees never saw.</summary>
    Isotonic,
}
