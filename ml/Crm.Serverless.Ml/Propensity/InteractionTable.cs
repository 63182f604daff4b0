using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// The interactions of a <see cref="PurchaseTable"/>'s customers as flat arrays aligned with its customer indices:
/// customer <c>i</c> owns events <c>Offsets[i]</c> to <c>Offsets[i + 1]</c>, oldest first, so the interaction
/// features at every cut-off are array scans like the purchase features.
/// </summary>
internal sealed class InteractionTable
{
    private InteractionTable(int[] offsets, InteractionEvent[] events)
    {
        Offsets = offsets;
        Events = events;
        Ticks = [.. events.Select(e => e.TimestampUtc.Ticks)];
    }

    public int[] Offsets { get; }

    public InteractionEvent[] Events { get; }

    public long[] Ticks { get; }

    /// <summary>
    /// Null when the shop sends no interactions (no dictionary, or no event for any of the customers): the models then
    /// use the layout without interaction features. With <paramref name="shopSendsInteractions"/> a dictionary with no
    /// event for these customers still gives a (empty) table: a shard of a shop that sends interactions has customers
    /// with none, and for them zero complaints is known, not missing.
    /// </summary>
    public static InteractionTable? From(
        string[] customerIds, IReadOnlyDictionary<string, IReadOnlyList<InteractionEvent>>? interactions, bool shopSendsInteractions = false)
    {
        if (interactions is null)
        {
            return null;
        }

        var offsets = new int[customerIds.Length + 1];
        for (var customer = 0; customer < customerIds.Length; customer++)
        {
            var count = interactions.TryGetValue(customerIds[customer], out var events) ? events.Count : 0;
            offsets[customer + 1] = offsets[customer] + count;
        }

        if (offsets[^1] == 0 && !shopSendsInteractions)
        {
            return null;
        }

        var all = new InteractionEvent[offsets[^1]];
        for (var customer = 0; customer < customerIds.Length; customer++)
        {
            if (interactions.TryGetValue(customerIds[customer], out var events))
            {
                var at = offsets[customer];
                for (var i = 0; i < events.Count; i++)
                {
                    all[at + i] = events[i];
                }

                // Stable, so events at the same instant keep the order the shop sent them in.
                var slice = all.AsSpan(at, events.Count);
                if (!IsSorted(slice))
                {
                    var sorted = slice.ToArray().OrderBy(e => e.TimestampUtc).ToArray();
                    sorted.CopyTo(slice);
                }
            }
        }

        return new InteractionTable(offsets, all);
    }

    /// <summary>Index one past the customer's last interaction strictly before <paramref name="ticks"/>.</summary>
    public int EndBefore(int customerIndex, long ticks)
    {
        var low = Offsets[customerIndex];
        var high = Offsets[customerIndex + 1];
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (Ticks[middle] < ticks)
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

    private static bool IsSorted(ReadOnlySpan<InteractionEvent> events)
    {
        for (var i = 1; i < events.Length; i++)
        {
            if (events[i].TimestampUtc < events[i - 1].TimestampUtc)
            {
                return false;
            }
        }

        return true;
    }
}
