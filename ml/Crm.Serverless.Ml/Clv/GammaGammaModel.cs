namespace Crm.Serverless.Ml.Clv;

/// <summary>
/// Gamma-Gamma spend parameters (Fader &amp; Hardie, "The Gamma-Gamma Model of Monetary Value"): a customer's
/// transaction values ~ Gamma(shape p, rate nu) with nu ~ Gamma(shape q, rate gamma) across customers.
/// </summary>
public readonly record struct GammaGammaParameters(double P, double Q, double Gamma);

/// <summary>The Gamma-Gamma formulas. Assumes spend is independent of purchase frequency, as the model does.</summary>
public sealed class GammaGammaModel
{
    public GammaGammaModel(GammaGammaParameters parameters)
    {
        if (!IsValid(parameters))
        {
            // q <= 1 means the population mean spend p gamma / (q - 1) does not exist.
            throw new ArgumentOutOfRangeException(nameof(parameters), parameters, "Need p > 0, q > 1, gamma > 0.");
        }

        Parameters = parameters;
    }

    public GammaGammaParameters Parameters { get; }

    /// <summary>p &gt; 0, q &gt; 1, gamma &gt; 0: the parameters describe a population with a mean spend.</summary>
    public static bool IsValid(GammaGammaParameters parameters)
        => parameters.P > 0 && parameters.Q > 1 && parameters.Gamma > 0;

    /// <summary>E[Z]: the mean transaction value of a customer we know nothing about.</summary>
    public double PopulationMeanSpend => Parameters.P * Parameters.Gamma / (Parameters.Q - 1);

    /// <summary>
    /// E[Z | x, m]: a customer's expected spend per transaction given x repeat transactions averaging m,
    /// a credibility-weighted blend of the population mean and the customer's own mean.
    /// </summary>
    public double ConditionalExpectedAverageSpend(int x, double monetaryValue)
    {
        if (x <= 0)
        {
            return PopulationMeanSpend;
        }

        var (p, q, _) = Parameters;
        var weight = p * x / (p * x + q - 1);
        return (1 - weight) * PopulationMeanSpend + weight * monetaryValue;
    }
}
