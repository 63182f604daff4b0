using System.Text.Json.Serialization;

namespace Crm.Serverless.Ml.Clv;

/// <summary>The maximum-likelihood Gamma-Gamma fit on the repeat customers.</summary>
/// <param name="Customers">Customers the fit used: x &gt; 0 and a positive mean repeat spend.</param>
public sealed record GammaGammaFit(GammaGammaParameters Parameters, double LogLikelihood, int Customers, int Iterations)
{
    [JsonIgnore]
    public GammaGammaModel Model { get; } = new(Parameters);
}

/// <summary>
/// Fits p, q, gamma on customers with at least one repeat purchase day, from their x and mean repeat spend m.
/// Customers whose repeat days all had zero amount carry no spend information (ln m is undefined) and are skipped.
/// </summary>
public static class GammaGammaFitter
{
    public static GammaGammaFit Fit(CustomerSummaries summaries, GammaGammaParameters? initial = null)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        var likelihood = new GammaGammaLikelihood(summaries.Frequency, summaries.MonetaryValue);
        if (likelihood.Customers < 2)
        {
            throw new ArgumentException("Gamma-Gamma needs at least two customers with repeat purchases.", nameof(summaries));
        }

        var start = initial ?? new GammaGammaParameters(1, 2, 1);
        var (parameters, iterations) = LogSpaceMinimizer.Minimize(
            likelihood.NegativeMeanLogLikelihood,
            [start.P, start.Q, start.Gamma]);
        var fitted = new GammaGammaParameters(parameters[0], parameters[1], parameters[2]);
        return new GammaGammaFit(fitted, likelihood.LogLikelihood(fitted), likelihood.Customers, iterations);
    }
}
