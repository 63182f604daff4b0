namespace Crm.Serverless.Ml.Segmentation;

/// <summary>
/// Scores values 1-5 by their position in the population: score = 1 + floor(5 * worse / n), where worse counts
/// customers with a strictly worse value. Equal values always get equal scores, whatever the input order, so
/// a tie can never be split by row order; heavy ties (60% of customers with one purchase) leave scores unused
/// rather than inventing differences.
/// </summary>
public static class QuintileScorer
{
    public static int[] Score(ReadOnlySpan<double> values, bool higherIsBetter)
    {
        var sorted = values.ToArray();
        foreach (var value in sorted)
        {
            if (double.IsNaN(value))
            {
                throw new ArgumentException("Values must not be NaN.", nameof(values));
            }
        }

        Array.Sort(sorted);
        var n = (long)sorted.Length;
        var scores = new int[sorted.Length];
        for (var i = 0; i < scores.Length; i++)
        {
            long worse = higherIsBetter
                ? CountBelow(sorted, values[i])
                : n - CountAtOrBelow(sorted, values[i]);
            scores[i] = 1 + (int)(5 * worse / n);
        }

        return scores;
    }

    /// <summary>
    /// The four values that separate the scores in this population, so one shard can be scored as
    /// <see cref="Score(ReadOnlySpan{double}, bool)"/> scores the whole population: score k + 1 needs
    /// 5 * worse >= k * n, i.e. at least ceil(k * n / 5) customers strictly worse.
    /// </summary>
    public static QuintileCuts Cuts(ReadOnlySpan<double> values, bool higherIsBetter)
    {
        var sorted = values.ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("Cut-points need at least one value.", nameof(values));
        }

        Array.Sort(sorted);
        var n = (long)sorted.Length;
        var thresholds = new double[4];
        for (var k = 1; k <= 4; k++)
        {
            var worse = (int)((k * n + 4) / 5);

            // Higher is better: worse = values strictly below v, at least c when v > sorted[c - 1].
            // Lower is better: worse = values strictly above v, at least c when v < sorted[n - c].
            thresholds[k - 1] = higherIsBetter ? sorted[worse - 1] : sorted[n - worse];
        }

        return new QuintileCuts(thresholds, higherIsBetter);
    }

    /// <summary>How many values of the sorted array are strictly below <paramref name="value"/>.</summary>
    internal static int CountBelow(double[] sorted, double value)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (sorted[middle] < value)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    private static int CountAtOrBelow(double[] sorted, double value)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (sorted[middle] <= value)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }
}

/// <summary>A population's quintile cut-points (<see cref="QuintileScorer.Cuts"/>): scores one value as the population would.</summary>
public sealed record QuintileCuts(IReadOnlyList<double> Thresholds, bool HigherIsBetter)
{
    public int Score(double value)
    {
        var score = 1;
        foreach (var threshold in Thresholds)
        {
            score += (HigherIsBetter ? value > threshold : value < threshold) ? 1 : 0;
        }

        return score;
    }
}
