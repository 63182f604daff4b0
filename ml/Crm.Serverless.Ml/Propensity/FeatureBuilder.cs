using System.Collections.Concurrent;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// Computes <see cref="CustomerFeatures"/> for every customer with a purchase on or before a date, from those
/// purchases only, and the <see cref="InteractionFeatures"/> when the table has interactions, from those strictly before it. Training (at each cut-off) and scoring (at the as-of date) both come through here, so they cannot
/// drift apart, and nothing after the date can leak into a row.
/// </summary>
public static class FeatureBuilder
{
    private const double RecentDays = 30;
    private const double QuarterDays = 90;

    // Gap features are undefined for one-purchase-day customers; a negative value lets trees split them off.
    private const float NoGap = -1f;

    /// <param name="windowDays">The label window of the model the rows are for: the BG/NBD features look that far ahead.</param>
    public static FeatureRows Build(PurchaseTable table, DateTime asOfUtc, int windowDays) => Build(table, asOfUtc, windowDays, customerMask: null);

    /// <param name="customerMask">When given, only customers whose entry is true get a row (training subsamples).</param>
    internal static FeatureRows Build(PurchaseTable table, DateTime asOfUtc, int windowDays, bool[]? customerMask)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentOutOfRangeException.ThrowIfLessThan(windowDays, 1);
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
        var layout = table.Layout;
        var width = layout.Count;
        var values = new float[customers.Length * width];
        var betaGeo = customers.Length == 0 ? null : CutoffBetaGeo.Fit(table, asOfTicks);
        var window = windowDays / CutoffBetaGeo.Unit.Days();
        if (customers.Length == 0)
        {
            // A shard of a small shop can hold no customer with a purchase by the as-of: no rows, not an error.
            return new FeatureRows(asOfUtc, layout, customers, values);
        }

        Parallel.ForEach(Partitioner.Create(0, customers.Length, 8192), range =>
        {
            for (var row = range.Item1; row < range.Item2; row++)
            {
                var features = values.AsSpan(row * width, width);
                Fill(table, customers[row], asOfTicks, features);
                FillBetaGeo(table, customers[row], asOfTicks, betaGeo, window, features);
                if (table.Interactions is { } interactions)
                {
                    FillInteractions(table, interactions, customers[row], asOfTicks, features);
                }
            }
        });

        return new FeatureRows(asOfUtc, layout, customers, values);
    }

    /// <summary>
    /// The interaction features from the customer's interactions strictly before the date: an event at the cut-off
    /// instant, and a resolution at or after it, are not yet known.
    /// </summary>
    private static void FillInteractions(PurchaseTable table, InteractionTable interactions, int customer, long asOfTicks, Span<float> features)
    {
        var events = interactions.Events;
        var ticks = interactions.Ticks;
        var start = interactions.Offsets[customer];
        var end = interactions.EndBefore(customer, asOfTicks);
        var windowStart = asOfTicks - (long)(InteractionFeatures.WindowDays * TimeSpan.TicksPerDay);

        // A marketing e-mail after the last purchase on or before the date has had no purchase following it.
        var lastPurchase = table.Ticks[table.EndOnOrBefore(customer, asOfTicks) - 1];
        int complaints = 0, unresolved = 0, unanswered = 0, lastRating = 0;
        long lastInbound = long.MinValue;
        for (var i = start; i < end; i++)
        {
            var e = events[i];
            if (e.Inbound)
            {
                lastInbound = ticks[i];
            }

            if (e.Rating is { } rating)
            {
                lastRating = rating;
            }

            if (ticks[i] <= windowStart)
            {
                continue;
            }

            if (e.Type == InteractionType.Complaint)
            {
                complaints++;
                if (e.ResolvedUtc is not { } resolved || resolved.Ticks >= asOfTicks)
                {
                    unresolved++;
                }
            }
            else if (!e.Inbound && e.Type == InteractionType.Marketing && e.Channel == InteractionChannel.Email && ticks[i] > lastPurchase)
            {
                unanswered++;
            }
        }

        features[InteractionFeatures.ComplaintsLast90Days] = complaints;
        features[InteractionFeatures.UnresolvedComplaintsLast90Days] = unresolved;
        features[InteractionFeatures.DaysSinceLastInbound] = lastInbound == long.MinValue
            ? NoGap
            : (float)((double)(asOfTicks - lastInbound) / TimeSpan.TicksPerDay);
        features[InteractionFeatures.LastRating] = lastRating == 0 ? NoGap : lastRating;
        features[InteractionFeatures.UnansweredMarketingEmailsLast90Days] = unanswered;
    }

    /// <summary>
    /// P(alive), expected purchases and P(no purchase) in the window from the BG/NBD model fitted as of the same date,
    /// with (x, t_x, T) counted in whole days as the CLV summaries count them.
    /// </summary>
    private static void FillBetaGeo(PurchaseTable table, int customer, long asOfTicks, BetaGeoModel? model, double window, Span<float> features)
    {
        if (model is null)
        {
            features[CustomerFeatures.BetaGeoProbabilityAlive] = NoGap;
            features[CustomerFeatures.BetaGeoExpectedPurchases] = NoGap;
            features[CustomerFeatures.BetaGeoNoPurchaseProbability] = NoGap;
            return;
        }

        var daysPerUnit = CutoffBetaGeo.Unit.Days();
        var firstDay = table.Ticks[table.Offsets[customer]] / TimeSpan.TicksPerDay;
        var lastDay = table.Ticks[table.EndOnOrBefore(customer, asOfTicks) - 1] / TimeSpan.TicksPerDay;
        var x = (int)features[CustomerFeatures.PurchaseDays] - 1;
        var recency = (lastDay - firstDay) / daysPerUnit;
        var age = ((asOfTicks / TimeSpan.TicksPerDay) - firstDay) / daysPerUnit;
        features[CustomerFeatures.BetaGeoProbabilityAlive] = (float)model.ProbabilityAlive(x, recency, age);
        try
        {
            features[CustomerFeatures.BetaGeoExpectedPurchases] = (float)model.ConditionalExpectedPurchases(window, x, recency, age);
        }
        catch (ArithmeticException)
        {
            // The series behind E[Y(t)] did not converge for this history: leave the feature missing, as for no fit.
            features[CustomerFeatures.BetaGeoExpectedPurchases] = NoGap;
        }

        features[CustomerFeatures.BetaGeoNoPurchaseProbability] = (float)model.ProbabilityNoPurchase(window, x, recency, age);
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
