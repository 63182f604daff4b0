using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Core.Nightly;

/// <summary>How a stage 1 shard samples its customers for stage 2 (the models' training sample, the recommender's holdout sample).</summary>
public static class ShardSample
{
    /// <summary>
    /// Everyone when there are at most <paramref name="maximum"/>, else the customers with the lowest hash of their id
    /// (stable from night to night, and unrelated to how or when they bought), in their original order.
    /// </summary>
    public static List<T> Lowest<T>(IReadOnlyList<T> customers, Func<T, string> customerId, int maximum)
    {
        ArgumentNullException.ThrowIfNull(customers);
        ArgumentNullException.ThrowIfNull(customerId);
        if (customers.Count <= maximum)
        {
            return [.. customers];
        }

        var kept = customers.Select((c, i) => (Hash: CustomerSummaryRow.HashOf(customerId(c)), Index: i)).OrderBy(k => k.Hash).Take(maximum).Select(k => k.Index).Order();
        return [.. kept.Select(i => customers[i])];
    }
}
