using System.Numerics;

namespace Crm.Serverless.Ml.Data;

/// <summary>
/// Totals by a key (a sku, a segment, a campaign) that merge by adding: the one merge behind every per-shard partial
/// of a night (product facts, discount response, campaign tallies). A shard adds into its own, the merging stage
/// adds the shards' up; <typeparamref name="T"/> is a value (a record struct or an immutable record), so adding never
/// changes a partial that was merged in. Plain data, so a partial round-trips through a run artefact as JSON.
/// </summary>
public sealed class KeyedTotals<T>
    where T : IAdditionOperators<T, T, T>
{
    public Dictionary<string, T> Items { get; init; } = new(StringComparer.Ordinal);

    public int Count => Items.Count;

    /// <summary>Adds <paramref name="value"/> to the key's total (the first value of a new key is its total).</summary>
    public void Add(string key, T value)
    {
        ArgumentNullException.ThrowIfNull(key);
        Items[key] = Items.TryGetValue(key, out var total) ? total + value : value;
    }

    public void Merge(KeyedTotals<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (var (key, value) in other.Items)
        {
            Add(key, value);
        }
    }

    /// <summary>The keys in ordinal order, so any merge order lists them the same way.</summary>
    public IEnumerable<KeyValuePair<string, T>> Ordered() => Items.OrderBy(pair => pair.Key, StringComparer.Ordinal);
}
