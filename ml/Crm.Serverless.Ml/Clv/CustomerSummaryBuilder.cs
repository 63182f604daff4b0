using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Clv;

/// <summary>
/// Turns purchase histories into (x, t_x, T, monetary value) at a calibration end, the way Fader and Hardie
/// summarise CDNOW: purchases on one UTC day are one purchase whose amount is the day's total, so a split
/// basket does not look like a loyal customer.
/// </summary>
public static class CustomerSummaryBuilder
{
    /// <param name="calibrationEndUtc">Last calibration day; its time of day is ignored and the whole day counts.</param>
    /// <remarks>Customers whose first purchase falls after the calibration end are left out.</remarks>
    public static CustomerSummaries Build(
        IEnumerable<CustomerHistory> histories,
        DateTime calibrationEndUtc,
        ClvTimeUnit timeUnit)
    {
        ArgumentNullException.ThrowIfNull(histories);
        var endDay = calibrationEndUtc.Ticks / TimeSpan.TicksPerDay;
        var daysPerUnit = timeUnit.Days();
        var capacity = histories.TryGetNonEnumeratedCount(out var known) ? known : 1024;
        var columns = new Columns(capacity);

        foreach (var history in histories)
        {
            ArgumentNullException.ThrowIfNull(history);
            var purchases = history.Purchases;
            if (purchases.Count == 0)
            {
                continue;
            }

            var firstDay = purchases[0].TimestampUtc.Ticks / TimeSpan.TicksPerDay;
            if (firstDay > endDay)
            {
                continue;
            }

            var repeatDays = 0;
            var repeatSpend = 0.0;
            var totalSpend = 0.0;
            var currentDay = firstDay;
            var currentAmount = 0.0;
            for (var i = 0; i < purchases.Count; i++)
            {
                var purchase = purchases[i];
                var day = purchase.TimestampUtc.Ticks / TimeSpan.TicksPerDay;
                if (day > endDay)
                {
                    break;
                }

                totalSpend += purchase.Amount;
                if (day != currentDay)
                {
                    if (currentDay != firstDay)
                    {
                        repeatDays++;
                        repeatSpend += currentAmount;
                    }

                    currentDay = day;
                    currentAmount = 0;
                }

                currentAmount += purchase.Amount;
            }

            if (currentDay != firstDay)
            {
                repeatDays++;
                repeatSpend += currentAmount;
            }

            columns.Add(
                history.CustomerId,
                repeatDays,
                (currentDay - firstDay) / daysPerUnit,
                (endDay - firstDay) / daysPerUnit,
                repeatDays == 0 ? 0 : repeatSpend / repeatDays,
                totalSpend);
        }

        return columns.ToSummaries(new DateTime(endDay * TimeSpan.TicksPerDay, DateTimeKind.Utc), timeUnit);
    }

    /// <summary>Growable column buffers; one resize policy instead of six List&lt;T&gt; copies at the end.</summary>
    private sealed class Columns(int capacity)
    {
        private string[] _ids = new string[Math.Max(capacity, 16)];
        private int[] _frequency = new int[Math.Max(capacity, 16)];
        private double[] _recency = new double[Math.Max(capacity, 16)];
        private double[] _age = new double[Math.Max(capacity, 16)];
        private double[] _monetary = new double[Math.Max(capacity, 16)];
        private double[] _total = new double[Math.Max(capacity, 16)];
        private int _count;

        public void Add(string id, int frequency, double recency, double age, double monetary, double total)
        {
            if (_count == _ids.Length)
            {
                var size = _count * 2;
                Array.Resize(ref _ids, size);
                Array.Resize(ref _frequency, size);
                Array.Resize(ref _recency, size);
                Array.Resize(ref _age, size);
                Array.Resize(ref _monetary, size);
                Array.Resize(ref _total, size);
            }

            _ids[_count] = id;
            _frequency[_count] = frequency;
            _recency[_count] = recency;
            _age[_count] = age;
            _monetary[_count] = monetary;
            _total[_count] = total;
            _count++;
        }

        public CustomerSummaries ToSummaries(DateTime calibrationEndUtc, ClvTimeUnit timeUnit)
        {
            Array.Resize(ref _ids, _count);
            Array.Resize(ref _frequency, _count);
            Array.Resize(ref _recency, _count);
            Array.Resize(ref _age, _count);
            Array.Resize(ref _monetary, _count);
            Array.Resize(ref _total, _count);
            return new CustomerSummaries(calibrationEndUtc, timeUnit, _ids, _frequency, _recency, _age, _monetary, _total);
        }
    }
}
