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
