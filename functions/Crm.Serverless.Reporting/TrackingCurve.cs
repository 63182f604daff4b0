using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Reporting;

/// <summary>
/// Fader and Hardie's tracking plot for BG/NBD: repeat transactions per week, actual against the model's population
/// expectation, where each customer contributes E[X(t)] from their own first purchase day.
/// </summary>
public static class TrackingCurve
{
    /// <param name="histories">All histories; customers first seen after <paramref name="calibrationEnd"/> are left out of both series, as the model never saw them.</param>
    /// <param name="model">A BG/NBD fit on the calibration period ending on <paramref name="calibrationEnd"/>.</param>
    public static TrackingSeries Compute(IReadOnlyList<CustomerHistory> histories, BetaGeoModel model, ClvTimeUnit unit, DateOnly calibrationEnd, DateOnly end)
    {
        ArgumentNullException.ThrowIfNull(histories);
        ArgumentNullException.ThrowIfNull(model);
        var calibrationDay = calibrationEnd.DayNumber;
        var firstDays = new Dictionary<int, int>();
        var start = int.MaxValue;
        foreach (var history in histories)
        {
            var first = DayOf(history.Purchases[0].TimestampUtc);
            if (first <= calibrationDay)
            {
                start = Math.Min(start, first);
            }
        }

        if (start == int.MaxValue)
        {
            throw new ArgumentException("No customer made a first purchase by the calibration end.", nameof(histories));
        }

        var weeks = ((end.DayNumber - start) / 7) + 1;
        var actual = new double[weeks];
        var customers = 0;
        foreach (var history in histories)
        {
            var first = DayOf(history.Purchases[0].TimestampUtc);
            if (first > calibrationDay)
            {
                continue;
            }

            customers++;
            firstDays[first] = firstDays.GetValueOrDefault(first) + 1;

            // Repeat transactions are purchase days after the first, as in the calibration summaries.
            var previous = first;
            foreach (var purchase in history.Purchases)
            {
                var day = DayOf(purchase.TimestampUtc);
                if (day != previous && day <= end.DayNumber)
                {
                    actual[(day - start) / 7]++;
                }

                previous = day;
            }
        }

        // Cumulative expectation at the last day of each week (the as-of day for a last, partial week), summed over first-purchase-day cohorts; the weekly
        // figure is the difference of consecutive cumulative values.
        var daysPerUnit = unit.Days();
        var cohorts = firstDays.ToArray();
        var cumulative = new double[weeks];
        Parallel.For(0, weeks, week =>
        {
            var lastDay = Math.Min(start + (7 * week) + 6, end.DayNumber);
            double sum = 0;
            foreach (var (firstDay, count) in cohorts)
            {
                if (lastDay > firstDay)
                {
                    sum += count * model.ExpectedPurchases((lastDay - firstDay) / daysPerUnit);
                }
            }

            cumulative[week] = sum;
        });

        var expected = new double[weeks];
        for (var week = 0; week < weeks; week++)
        {
            expected[week] = cumulative[week] - (week == 0 ? 0 : cumulative[week - 1]);
        }

        return new TrackingSeries(DateOnly.FromDayNumber(start), calibrationEnd, end, model.Parameters, customers, actual, expected);
    }

    private static int DayOf(DateTime utc) => DateOnly.FromDateTime(utc).DayNumber;
}
