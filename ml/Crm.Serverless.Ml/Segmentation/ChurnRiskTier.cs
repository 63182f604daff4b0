namespace Crm.Serverless.Ml.Segmentation;

public enum ChurnRiskTier
{
    Low,
    Medium,
    High,
}

/// <summary>
/// Churn risk from the probability of no purchase in the churn window (the promoted churn model's, or the BG/NBD
/// model's when no model has beaten it: the same quantity either way): below 0.3 Low, below 0.7 Medium, otherwise
/// High. Fixed probabilities rather than population shares, so a shop where everyone is leaving says so.
/// </summary>
public static class ChurnRisk
{
    public const double MediumFrom = 0.3;
    public const double HighFrom = 0.7;

    public static ChurnRiskTier Tier(double churnProbability)
    {
        if (!(churnProbability >= 0 && churnProbability <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(churnProbability), churnProbability, "Must be a probability.");
        }

        return churnProbability >= HighFrom ? ChurnRiskTier.High
            : churnProbability >= MediumFrom ? ChurnRiskTier.Medium
            : ChurnRiskTier.Low;
    }
}
