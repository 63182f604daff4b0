using System.Text.Json.Serialization;

namespace Crm.Serverless.Ml.Clv;

/// <summary>The maximum-likelihood BG/NBD fit on a calibration summary.</summary>
/// <param name="LogLikelihood">Total log-likelihood over all customers (the figure papers print, e.g. -9582.4 for CDNOW).</param>
public sealed record BetaGeoFit(BetaGeoParameters Parameters, double LogLikelihood, int Customers, int Iterations)
{
    [JsonIgnore]
    public BetaGeoModel Model { get; } = new(Parameters);
}

/// <summary>
/// Fits r, alpha, a, b by maximum likelihood (Fader, Hardie &amp; Lee 2005, eq. 6). Customers with the same
/// (x, t_x, T) share a likelihood term, and with day-granular times there are far fewer patterns than customers.
/// </summary>
public static class BetaGeoFitter
{
    public static BetaGeoFit Fit(CustomerSummaries summaries, BetaGeoParameters? initial = null)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        if (summaries.Count == 0)
        {
            throw new ArgumentException("There are no customers to fit.", nameof(summaries));
        }

        var likelihood = new BetaGeoLikelihood(summaries);
        var start = initial ?? new BetaGeoParameters(1, 1, 1, 1);
        var (parameters, iterations) = LogSpaceMinimizer.Minimize(
            likelihood.NegativeMeanLogLikelihood,
            [start.R, start.Alpha, start.A, start.B]);
        var fitted = new BetaGeoParameters(parameters[0], parameters[1], parameters[2], parameters[3]);
        return new BetaGeoFit(fitted, likelihood.LogLikelihood(fitted), summaries.Count, iterations);
    }
}
