using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Reporting;

/// <summary>
/// Fader and Hardie's tracking plot for BG/NBD: repeat transactions per week, actual against the model's population
/// expectation, where each customer contributes E[X(t)] from their own first purchase day.
/// </summary>
public static class TrackingCurve
{
    /// <param name="partials">Every shard's part (<see cref="Core.Nightly.TrackingPartial.Of"/>).</param>
    /// <param name="model">A BG/NBD fit on the calibration period ending on <paramref name="calibrationEnd"/>.</param>
    public static TrackingSeries Compute(IReadOnlyList<Core.Nightly.TrackingPartial> partials, BetaGeoModel model, ClvTimeUnit unit, DateOnly calibrationEnd, DateOnly end)
    {
        ArgumentNullException.ThrowIfNull(partials);
        ArgumentNullException.ThrowIfNull(model);
        var firstDays = new Dictionary<int, int>();
        var repeats = new Dictionary<int, int>();
        foreach (var partial in partials)
        {
            foreach (var (day, count) in partial.FirstDays)
            {
                firstDays[day] = firstDays.GetValueOrDefault(day) + count;
            }

            foreach (var (day, count) in partial.RepeatsByDay)
            {
                repeats[day] = repeats.GetValueOrDefault(day) + count;
            }
        }

        if (firstDays.Count == 0)
        {
            throw new ArgumentException("No customer made a first purchase by the calibration end.", nameof(partials));
        }

        var start = firstDays.Keys.Min();
        var weeks = ((end.DayNumber - start) / 7) + 1;
        var actual = new double[weeks];
        foreach (var (day, count) in repeats)
        {
            actual[(day - start) / 7] += count;
        }

        // Cumulative expectation at the last day of each week (the as-of day for a last, partial week), summed over first-purchase-day cohorts; the weekly
        // figure is the difference of consecutive cumulative values.
        var daysPerUnit = unit.Days();
        var cohorts = firstDays.OrderBy(c => c.Key).ToArray();
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

        return new TrackingSeries(DateOnly.FromDayNumber(start), calibrationEnd, end, model.Parameters, firstDays.Values.Sum(), actual, expected);
    }

}
