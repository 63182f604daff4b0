namespace Crm.Serverless.Ml.Recommendations;

/// <summary>A sku that a customer could be offered, with its score (higher first).</summary>
public readonly record struct Recommendation(string Sku, double Score);

/// <summary>
/// What the merged counts say: each sku's most similar skus by the chosen method, the decayed popularity of every
/// sku, and which skus are normally re-bought. Built once per run from <see cref="CoPurchaseCounts"/>.
/// </summary>
public sealed class CoPurchaseModel
{
    private readonly Dictionary<string, Recommendation[]> _neighbours;

    private CoPurchaseModel(Dictionary<string, Recommendation[]> neighbours, Recommendation[] popular, Dictionary<string, double> repeatRates, RecommenderOptions options, DateTime cutoffUtc, double halfLifeDays)
    {
        _neighbours = neighbours;
        Popular = popular;
        RepeatRates = repeatRates;
        Options = options;
        CutoffUtc = cutoffUtc;
        HalfLifeDays = halfLifeDays;
    }

    /// <summary>Every sku by decayed buyer weight, most popular first, scored on [0, 1] (the top sku is 1).</summary>
    public IReadOnlyList<Recommendation> Popular { get; }

    /// <summary>Skus whose buyers normally buy them again, with the share of returning buyers who did.</summary>
    public IReadOnlyDictionary<string, double> RepeatRates { get; }

    public RecommenderOptions Options { get; }

    public DateTime CutoffUtc { get; }

    public double HalfLifeDays { get; }

    public IReadOnlyList<Recommendation> Neighbours(string sku) => _neighbours.TryGetValue(sku, out var list) ? list : [];

    public static CoPurchaseModel Build(CoPurchaseCounts counts, RecommenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(options);
        var lists = new Dictionary<string, List<Recommendation>>(StringComparer.Ordinal);
        foreach (var ((a, b), together) in counts.Pairs)
        {
            var na = counts.Skus[a].Weight;
            var nb = counts.Skus[b].Weight;
            if (together <= 0 || na <= 0 || nb <= 0)
            {
                continue;
            }

            // Conditional probability is the one asymmetric method: a's neighbour b scores P(b | a), and back.
            var (ab, ba) = options.Method switch
            {
                SimilarityMethod.ConditionalProbability => (together / na, together / nb),
                SimilarityMethod.Lift => Symmetric(together * counts.Customers / (na * nb) * (together / (together + options.LiftShrinkage))),
                _ => Symmetric(together / Math.Sqrt(na * nb)),
            };
            Add(lists, a, new Recommendation(b, ab));
            Add(lists, b, new Recommendation(a, ba));
        }

        var neighbours = lists.ToDictionary(
            pair => pair.Key,
            pair => pair.Value.OrderByDescending(r => r.Score).ThenBy(r => r.Sku, StringComparer.Ordinal).Take(options.Neighbours).ToArray(),
            StringComparer.Ordinal);
        var top = counts.Skus.Count == 0 ? 1 : counts.Skus.Values.Max(s => s.Weight);
        Recommendation[] popular = [.. counts.Skus
            .Select(pair => new Recommendation(pair.Key, pair.Value.Weight / top))
            .OrderByDescending(r => r.Score).ThenBy(r => r.Sku, StringComparer.Ordinal)];
        var repeatRates = counts.Skus
            .Where(pair => pair.Value.BuyersWhoReturned >= options.MinimumRepeatBuyers)
            .Select(pair => (pair.Key, Rate: (double)pair.Value.RepeatBuyers / pair.Value.BuyersWhoReturned))
            .Where(pair => pair.Rate >= options.RepeatRateThreshold)
            .ToDictionary(pair => pair.Key, pair => pair.Rate, StringComparer.Ordinal);
        return new CoPurchaseModel(neighbours, popular, repeatRates, options, counts.CutoffUtc, counts.HalfLifeDays);
    }

    /// <summary>The model as columns, for the run artefact stage 3 scores with; <see cref="FromData"/> gives back the same model.</summary>
    public CoPurchaseModelData ToData()
    {
        var skus = Popular.Select(p => p.Sku).ToArray();
        var index = new Dictionary<string, int>(skus.Length, StringComparer.Ordinal);
        for (var i = 0; i < skus.Length; i++)
        {
            index[skus[i]] = i;
        }

        var offsets = new int[skus.Length + 1];
        var neighbours = new List<int>();
        var scores = new List<double>();
        for (var i = 0; i < skus.Length; i++)
        {
            foreach (var neighbour in Neighbours(skus[i]))
            {
                neighbours.Add(index[neighbour.Sku]);
                scores.Add(neighbour.Score);
            }

            offsets[i + 1] = neighbours.Count;
        }

        return new CoPurchaseModelData(
            CutoffUtc, HalfLifeDays, skus, [.. Popular.Select(p => p.Score)], offsets, [.. neighbours], [.. scores],
            [.. skus.Select(s => RepeatRates.TryGetValue(s, out var rate) ? rate : -1)]);
    }

    public static CoPurchaseModel FromData(CoPurchaseModelData data, RecommenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var neighbours = new Dictionary<string, Recommendation[]>(StringComparer.Ordinal);
        var repeatRates = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < data.Skus.Length; i++)
        {
            if (data.Offsets[i + 1] > data.Offsets[i])
            {
                neighbours[data.Skus[i]] = [.. Enumerable.Range(data.Offsets[i], data.Offsets[i + 1] - data.Offsets[i])
                    .Select(n => new Recommendation(data.Skus[data.Neighbours[n]], data.NeighbourScores[n]))];
            }

            if (data.RepeatRates[i] >= 0)
            {
                repeatRates[data.Skus[i]] = data.RepeatRates[i];
            }
        }

        Recommendation[] popular = [.. data.Skus.Select((sku, i) => new Recommendation(sku, data.Popularity[i]))];
        return new CoPurchaseModel(neighbours, popular, repeatRates, options, data.CutoffUtc, data.HalfLifeDays);
    }

    private static (double, double) Symmetric(double value) => (value, value);

    private static void Add(Dictionary<string, List<Recommendation>> lists, string sku, Recommendation neighbour)
    {
        if (!lists.TryGetValue(sku, out var list))
        {
            lists[sku] = list = [];
        }

        list.Add(neighbour);
    }
}

/// <summary>
/// <see cref="CoPurchaseModel"/> as columns: skus most popular first with their popularity, each sku's neighbours as
/// indexes into <see cref="Skus"/> (sku i owns Offsets[i] to Offsets[i + 1]), and the repeat rate per sku (-1: not re-bought).
/// </summary>
public sealed record CoPurchaseModelData(
    DateTime CutoffUtc,
    double HalfLifeDays,
    string[] Skus,
    double[] Popularity,
    int[] Offsets,
    int[] Neighbours,
    double[] NeighbourScores,
    double[] RepeatRates);
