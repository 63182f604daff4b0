using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Core.Nightly;

/// <summary>
/// A shard's part of the report's BG/NBD tracking plot (stage 3 computes it, the report adds the parts up and fits the
/// tracking model on their calibration columns): customers by first purchase day, repeat purchase days by day.
/// </summary>
public sealed record TrackingPartial(Dictionary<int, int> FirstDays, Dictionary<int, int> RepeatsByDay, SummaryColumns? Calibration)
{
    /// <summary>
    /// One shard's part of the plot: first-purchase-day cohorts, repeat purchase days by day, and the shard's
    /// calibration summaries (what the tracking model is fitted on). Parts add up across shards.
    /// </summary>
    public static TrackingPartial Of(IReadOnlyList<CustomerHistory> histories, DateOnly calibrationEnd, DateOnly end, ClvService clv)
    {
        ArgumentNullException.ThrowIfNull(clv);
        var counts = Count(histories, calibrationEnd, end);
        var calibration = clv.Summarise(histories, calibrationEnd.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
        return counts with { Calibration = SummaryColumns.Of(calibration) };
    }

    public static TrackingPartial Count(IReadOnlyList<CustomerHistory> histories, DateOnly calibrationEnd, DateOnly end)
    {
        ArgumentNullException.ThrowIfNull(histories);
        var calibrationDay = calibrationEnd.DayNumber;
        var firstDays = new Dictionary<int, int>();
        var repeats = new Dictionary<int, int>();
        foreach (var history in histories)
        {
            var first = DayOf(history.Purchases[0].TimestampUtc);
            if (first > calibrationDay)
            {
                continue;
            }

            firstDays[first] = firstDays.GetValueOrDefault(first) + 1;

            // Repeat transactions are purchase days after the first, as in the calibration summaries.
            var previous = first;
            foreach (var purchase in history.Purchases)
            {
                var day = DayOf(purchase.TimestampUtc);
                if (day != previous && day <= end.DayNumber)
                {
                    repeats[day] = repeats.GetValueOrDefault(day) + 1;
                }

                previous = day;
            }
        }

        return new TrackingPartial(firstDays, repeats, null);
    }

    private static int DayOf(DateTime utc) => DateOnly.FromDateTime(utc).DayNumber;
}
