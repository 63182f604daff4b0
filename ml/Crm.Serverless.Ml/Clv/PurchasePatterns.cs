namespace Crm.Serverless.Ml.Clv;

/// <summary>Distinct (x, t_x, T) histories and which one each customer has; t_x is 0 whenever x is 0.</summary>
internal sealed class PurchasePatterns
{
    private PurchasePatterns((int X, double Recency, double Age)[] keys, int[] counts, int[] patternOf)
    {
        Keys = keys;
        Counts = counts;
        PatternOf = patternOf;
    }

    public (int X, double Recency, double Age)[] Keys { get; }

    /// <summary>Customers per pattern.</summary>
    public int[] Counts { get; }

    /// <summary>Pattern index per customer, in summary order.</summary>
    public int[] PatternOf { get; }

    public int Count => Keys.Length;

    public static PurchasePatterns Group(CustomerSummaries summaries)
    {
        var frequency = summaries.Frequency;
        var recency = summaries.Recency;
        var age = summaries.Age;
        var index = new Dictionary<(int, double, double), int>();
        var keys = new List<(int X, double Recency, double Age)>();
        var counts = new List<int>();
        var patternOf = new int[summaries.Count];
        for (var i = 0; i < patternOf.Length; i++)
        {
            var key = (frequency[i], frequency[i] == 0 ? 0 : recency[i], age[i]);
            if (!index.TryGetValue(key, out var pattern))
            {
                pattern = keys.Count;
                index.Add(key, pattern);
                keys.Add(key);
                counts.Add(0);
            }

            counts[pattern]++;
            patternOf[i] = pattern;
        }

        return new PurchasePatterns([.. keys], [.. counts], patternOf);
    }
}
