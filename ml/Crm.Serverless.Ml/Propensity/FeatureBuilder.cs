using System.Collections.Concurrent;

namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// Computes <see cref="CustomerFeatures"/> for every customer with a purchase on or before a date, from those
/// purchases only. Training (at each cut-off) and scoring (at the as-of date) both come through here, so they cannot
/// drift apart, and nothing after the date can leak into a row.
/// </summary>
public static class FeatureBuilder
{
    private const double RecentDays = 30;
    private const double QuarterDays = 90;

    // Gap features are undefined for one-purchase-day customers; a negative value lets trees split them off.
    private const float NoGap = -1f;

    public static FeatureRows Build(PurchaseTable table, DateTime asOfUtc) => Build(table, asOfUtc, customerMask: null);

    /// <param name="customerMask">When given, only customers whose entry is true get a row (training subsamples).</param>
    internal static FeatureRows Build(PurchaseTable table, DateTime asOfUtc, bool[]? customerMask)
    {
        ArgumentNullException.ThrowIfNull(table);
        var asOfTicks = asOfUtc.Ticks;
        var offsets = table.Offsets;
        var ticks = table.Ticks;

        var known = new List<int>(table.CustomerCount);
        for (var customer = 0; customer < table.CustomerCount; customer++)
        {
            var first = offsets[customer];
            if (first < offsets[customer + 1] && ticks[first] <= asOfTicks && (customerMask is null || customerMask[customer]))
            {
                known.Add(customer);
            }
        }

        var customers = known.ToArray();
        var values = new float[customers.Length * CustomerFeatures.Count];
        Parallel.ForEach(Partitioner.Create(0, customers.Length, 8192), range =>
        {
            for (var row = range.Item1; row < range.Item2; row++)
            {
                Fill(table, customers[row], asOfTicks, values.AsSpan(row * CustomerFeatures.Count, CustomerFeatures.Count));
            }
        });

        return new FeatureRows(asOfUtc, customers, values);
    }

    private static void Fill(PurchaseTable table, int customer, long asOfTicks, Span<float> features)
    {
        var ticks = table.Ticks;
        var amounts = table.Amounts;
        var start = table.Offsets[customer];
        var end = table.EndOnOrBefore(customer, asOfTicks);
        var last30 = asOfTicks - (long)(RecentDays * TimeSpan.TicksPerDay);
        var last90 = asOfTicks - (long)(QuarterDays * TimeSpan.TicksPerDay);
        var last180 = asOfTicks - (long)(2 * QuarterDays * TimeSpan.TicksPerDay);

        double total = 0, spendLast90 = 0;
        int inLast30 = 0, inLast90 = 0, inPrior90 = 0;
        int purchaseDays = 0;
        long previousDay = long.MinValue;
        double gapMean = 0, gapM2 = 0, lastGap = 0, maxGap = 0;
        for (var i = start; i < end; i++)
        {
            var t = ticks[i];
            total += amounts[i];
            if (t > last90)
            {
                inLast90++;
                spendLast90 += amounts[i];
                if (t > last30)
                {
                    inLast30++;
                }
            }
            else if (t > last180)
            {
                inPrior90++;
            }

            // Frequency counts distinct days so that a split basket does not look like a loyal customer.
            var day = t / TimeSpan.TicksPerDay;
            if (day != previousDay)
            {
                if (purchaseDays > 0)
                {
                    // Welford's running mean and variance of the gaps between purchase days.
                    lastGap = day - previousDay;
                    maxGap = Math.Max(maxGap, lastGap);
                    var gapCount = purchaseDays;
                    var delta = lastGap - gapMean;
                    gapMean += delta / gapCount;
                    gapM2 += delta * (lastGap - gapMean);
                }

                purchaseDays++;
                previousDay = day;
            }
        }

        var count = end - start;
        var recency = (double)(asOfTicks - ticks[end - 1]) / TimeSpan.TicksPerDay;
        var tenure = (double)(asOfTicks - ticks[start]) / TimeSpan.TicksPerDay;
        var hasGaps = purchaseDays > 1;

        features[CustomerFeatures.RecencyDays] = (float)recency;
        features[CustomerFeatures.PurchaseDays] = purchaseDays;
        features[CustomerFeatures.TenureDays] = (float)tenure;
        features[CustomerFeatures.TotalSpend] = (float)total;
        features[CustomerFeatures.MeanSpend] = (float)(total / count);
        features[CustomerFeatures.LastSpend] = (float)amounts[end - 1];
        features[CustomerFeatures.MeanGapDays] = hasGaps ? (float)gapMean : NoGap;
        features[CustomerFeatures.GapStdDays] = hasGaps ? (float)Math.Sqrt(gapM2 / (purchaseDays - 1)) : NoGap;
        features[CustomerFeatures.LastGapDays] = hasGaps ? (float)lastGap : NoGap;
        features[CustomerFeatures.RecencyOverMeanGap] = hasGaps ? (float)(recency / Math.Max(gapMean, 1)) : NoGap;
        features[CustomerFeatures.RecencyOverMaxGap] = hasGaps ? (float)(recency / Math.Max(maxGap, 1)) : NoGap;
        features[CustomerFeatures.PurchasesLast30Days] = inLast30;
        features[CustomerFeatures.PurchasesLast90Days] = inLast90;
        features[CustomerFeatures.PurchasesPrior90Days] = inPrior90;
        features[CustomerFeatures.ActivityTrend] = inLast90 + inPrior90 == 0
            ? 0f
            : (float)(inLast90 - inPrior90) / (inLast90 + inPrior90);
        features[CustomerFeatures.SpendLast90Days] = (float)spendLast90;
        features[CustomerFeatures.PurchaseDaysPer30Days] = (float)(purchaseDays * RecentDays / Math.Max(tenure, 1));
    }
}
