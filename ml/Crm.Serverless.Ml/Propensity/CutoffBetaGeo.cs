using Crm.Serverless.Ml.Clv;

namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// The BG/NBD model fitted on every customer's purchases up to a cut-off and never after it, in weeks like the CLV
/// model: the third baseline of the propensity models and three of their features. Each cut-off is fitted once per
/// <see cref="PurchaseTable"/>, since both targets, the calibration and the holdout ask for the same dates.
/// </summary>
internal static class CutoffBetaGeo
{
    public const ClvTimeUnit Unit = ClvTimeUnit.Weeks;

    /// <summary>
    /// A parameter beyond this has run off to a boundary of the likelihood (early cut-offs with a handful of repeat
    /// buyers do that); such a fit describes nothing, and its series for expected purchases need not even converge.
    /// </summary>
    private const double MaximumParameter = 1e4;

    /// <returns>The fitted model, or null when no customer has bought twice by the cut-off (dropout is then unidentifiable).</returns>
    public static BetaGeoModel? Fit(PurchaseTable table, long cutoffTicks)
        => table.BetaGeoFits.GetOrAdd(cutoffTicks, ticks => FitUncached(table, ticks));

    private static BetaGeoModel? FitUncached(PurchaseTable table, long cutoffTicks) => FitSummaries(Summarise(table, cutoffTicks));

    /// <summary>(x, t_x, T) in weeks at the cut-off of every customer with a purchase by then, in table order.</summary>
    public static CustomerSummaries Summarise(PurchaseTable table, long cutoffTicks)
    {
        var cutoffDay = cutoffTicks / TimeSpan.TicksPerDay;
        var daysPerUnit = Unit.Days();
        var ids = new List<string>(table.CustomerCount);
        var frequency = new List<int>(table.CustomerCount);
        var recency = new List<double>(table.CustomerCount);
        var age = new List<double>(table.CustomerCount);
        for (var customer = 0; customer < table.CustomerCount; customer++)
        {
            var start = table.Offsets[customer];
            var end = table.EndOnOrBefore(customer, cutoffTicks);
            if (end <= start)
            {
                continue;
            }

            // Repeat purchase days, as CustomerSummaryBuilder counts them: one day is one purchase.
            var firstDay = table.Ticks[start] / TimeSpan.TicksPerDay;
            var previousDay = firstDay;
            var x = 0;
            for (var i = start + 1; i < end; i++)
            {
                var day = table.Ticks[i] / TimeSpan.TicksPerDay;
                if (day != previousDay)
                {
                    x++;
                    previousDay = day;
                }
            }

            ids.Add(table.CustomerIds[customer]);
            frequency.Add(x);
            recency.Add((previousDay - firstDay) / daysPerUnit);
            age.Add((cutoffDay - firstDay) / daysPerUnit);
        }

        var zeros = new double[ids.Count];
        return new CustomerSummaries(
            new DateTime(cutoffDay * TimeSpan.TicksPerDay, DateTimeKind.Utc), Unit, [.. ids], [.. frequency], [.. recency], [.. age], zeros, zeros);
    }

    /// <returns>The fitted model, or null when no customer has bought twice (dropout is then unidentifiable) or the fit ran off.</returns>
    public static BetaGeoModel? FitSummaries(CustomerSummaries summaries)
    {
        if (summaries.RepeatCustomers == 0)
        {
            return null;
        }

        try
        {
            var model = BetaGeoFitter.Fit(summaries).Model;
            var (r, alpha, a, b) = model.Parameters;
            return Math.Max(Math.Max(r, alpha), Math.Max(a, b)) <= MaximumParameter ? model : null;
        }
        catch (ArgumentOutOfRangeException)
        {
            // The optimiser left the positive orthant on degenerate data: no BG/NBD view of this cut-off.
            return null;
        }
        catch (MathNet.Numerics.Optimization.MaximumIterationsException)
        {
            // A small sample at an early cut-off can leave the simplex wandering a flat likelihood: no view either.
            return null;
        }
    }
}
