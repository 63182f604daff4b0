using System.Globalization;
using System.Text.Json.Serialization;

namespace Crm.Serverless.Ml.Clv;

/// <summary>The maximum-likelihood Gamma-Gamma fit on the repeat customers.</summary>
/// <param name="Customers">Customers the fit used: x &gt; 0 and a positive mean repeat spend.</param>
/// <param name="FallbackMeanSpend">
/// The repeat customers' mean spend per purchase day: every customer's expected spend when the fit is degenerate.
/// </param>
public sealed record GammaGammaFit(GammaGammaParameters Parameters, double LogLikelihood, int Customers, int Iterations, double FallbackMeanSpend = 0)
{
    /// <summary>The fitted model; null when the fit is degenerate (q &lt;= 1: the population mean spend does not exist).</summary>
    [JsonIgnore]
    public GammaGammaModel? Model { get; } = GammaGammaModel.IsValid(Parameters) ? new(Parameters) : null;

    /// <summary>Why the spend predictions fall back to <see cref="FallbackMeanSpend"/>, or null when they do not.</summary>
    [JsonIgnore]
    public string? Warning => Model is null
        ? string.Create(CultureInfo.InvariantCulture,
            $"The Gamma-Gamma spend fit is degenerate (p={Parameters.P:0.###}, q={Parameters.Q:0.###}, gamma={Parameters.Gamma:0.###}; q <= 1 has no population mean), so every customer's expected spend is the repeat customers' mean {FallbackMeanSpend:0.00}.")
        : null;

    /// <summary>E[spend per purchase day | x, m], or the fallback mean when the fit is degenerate.</summary>
    public double ExpectedAverageSpend(int x, double monetaryValue)
        => Model?.ConditionalExpectedAverageSpend(x, monetaryValue) ?? FallbackMeanSpend;
}

/// <summary>
/// Fits p, q, gamma on customers with at least one repeat purchase day, from their x and mean repeat spend m.
/// Customers whose repeat days all had zero amount carry no spend information (ln m is undefined) and are skipped.
/// A fit with q &lt;= 1 is returned as it is, flagged (<see cref="GammaGammaFit.Warning"/>), never thrown: heavy-tailed
/// spend is a fact of the shop, and the nightly run must go on.
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
        return new GammaGammaFit(fitted, likelihood.LogLikelihood(fitted), likelihood.Customers, iterations, MeanRepeatSpend(summaries));
    }

    private static double MeanRepeatSpend(CustomerSummaries summaries)
    {
        double total = 0;
        var count = 0;
        for (var i = 0; i < summaries.Count; i++)
        {
            if (summaries.Frequency[i] > 0 && summaries.MonetaryValue[i] > 0)
            {
                total += summaries.MonetaryValue[i];
                count++;
            }
        }

        return count == 0 ? 0 : total / count;
    }
}
