using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Propensity;

namespace Crm.Serverless.Core.Nightly;

/// <summary>
/// A night's interactions, when the store has any (<see cref="NightPlan.Interactions"/>, probed once when the run is
/// planned so every shard trains and scores with the same feature layout). Stage 1 reads the shard's partition once
/// (no subject) and hands its events to stage 3 and its sample's events to stage 2; stage 3 turns them, with the
/// shard's scores, into the shard's <see cref="InteractionActivity"/>, which stage 4 merges into the run's figures.
/// On a store without interactions every method is a no-op and nothing is read or written.
/// </summary>
public sealed class ShardInteractions(InteractionReader reader, NightlyArtefacts artefacts)
{
    /// <summary>Stage 1 → 3: the shard's interaction events (customer ids: <see cref="CompleteRun"/> deletes it).</summary>
    public static string Events(string runId, int shard) => NightlyArtefacts.Scratch(runId, $"interactions-{shard:D2}.json");

    /// <summary>Stage 1 → 2: the events of the shard's training sample (customer ids: <see cref="CompleteRun"/> deletes it).</summary>
    public static string SampleEvents(string runId, int shard) => NightlyArtefacts.Scratch(runId, $"sample-interactions-{shard:D2}.json");

    /// <summary>Stage 3 → 4: the shard's interaction figures (counts only).</summary>
    public static string Activity(string runId, int shard) => NightlyArtefacts.Scratch(runId, $"interactions-scored-{shard:D2}.json");

    /// <summary>When a run is planned: one request of at most one row decides the night's feature layout.</summary>
    public Task<bool> StoreHasAnyAsync(CancellationToken cancellationToken) => reader.AnyAsync(cancellationToken);

    /// <summary>
    /// Every customer's events, or null on a store without interactions: for <c>crm train</c>, which reads every
    /// history too (the night reads them a shard at a time instead).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<InteractionEvent>>?> ReadAllAsync(CancellationToken cancellationToken)
    {
        if (!await reader.AnyAsync(cancellationToken))
        {
            return null;
        }

        var shards = new IReadOnlyDictionary<string, IReadOnlyList<InteractionEvent>>[CrmKeys.ShardCount];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, CrmKeys.ShardCount),
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (shard, ct) => shards[shard] = (await reader.ReadShardAsync(shard, ct)).Interactions);
        return shards.SelectMany(s => s).ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);
    }

    /// <summary>Stage 1: reads the shard's interactions and writes them for stages 2 and 3; returns the rows read.</summary>
    public async Task<long> SummariseAsync(NightPlan plan, int shard, IEnumerable<string> sampleCustomerIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!plan.Interactions)
        {
            return 0;
        }

        var read = await reader.ReadShardAsync(shard, cancellationToken);
        await artefacts.WriteAsync(Events(plan.RunId, shard), CompactInteractions.From(read.Interactions, read.Interactions.Keys), cancellationToken);
        await artefacts.WriteAsync(SampleEvents(plan.RunId, shard), CompactInteractions.From(read.Interactions, sampleCustomerIds), cancellationToken);
        return read.RowsRead;
    }

    /// <summary>Stage 2: the training sample's events of every shard, or null on a store without interactions.</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<InteractionEvent>>?> SampleAsync(NightPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!plan.Interactions)
        {
            return null;
        }

        var shards = new CompactInteractions[plan.Shards];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, plan.Shards),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (shard, ct) => shards[shard] = await artefacts.ReadAsync<CompactInteractions>(SampleEvents(plan.RunId, shard), ct));
        return shards.SelectMany(s => s.ToDictionary()).ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);
    }

    /// <summary>Stage 3: the shard's events, or null on a store without interactions.</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<InteractionEvent>>?> ShardAsync(NightPlan plan, int shard, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.Interactions
            ? (await artefacts.ReadAsync<CompactInteractions>(Events(plan.RunId, shard), cancellationToken)).ToDictionary()
            : null;
    }

    /// <summary>Stage 3: the shard's interaction figures from its events and the scores it just computed.</summary>
    public async Task WriteActivityAsync(
        NightPlan plan, int shard, IReadOnlyDictionary<string, IReadOnlyList<InteractionEvent>>? interactions, IReadOnlyList<CustomerScore> scores, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (interactions is null)
        {
            return;
        }

        await artefacts.WriteAsync(Activity(plan.RunId, shard), InteractionActivity.Summarise(interactions, scores, plan.AsOf), cancellationToken);
    }

    /// <summary>Stage 4: every shard's figures merged, or null when the run had no interactions.</summary>
    public async Task<InteractionActivity?> ActivityAsync(NightPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!plan.Interactions)
        {
            return null;
        }

        var parts = new InteractionActivity[plan.Shards];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, plan.Shards),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (shard, ct) => parts[shard] = await artefacts.ReadAsync<InteractionActivity>(Activity(plan.RunId, shard), ct));
        return InteractionActivity.Merge(parts);
    }

    /// <summary>
    /// Stage 3: the shard's table with the interaction features (a customer without any has known zeros), using the
    /// population's BG/NBD like the purchase-only table; null on a store without interactions.
    /// </summary>
    public static PurchaseTable? Table(
        IReadOnlyList<CustomerHistory> histories, IReadOnlyDictionary<string, IReadOnlyList<InteractionEvent>>? interactions, BetaGeoModel? cutoff, DateTime endOfDayUtc)
    {
        if (interactions is null)
        {
            return null;
        }

        var table = PurchaseTable.From(histories, interactions, shopSendsInteractions: true);
        table.UseCutoffModel(endOfDayUtc, cutoff);
        return table;
    }

    /// <summary>The table of the model's layout: a model promoted before the shop sent interactions still scores.</summary>
    public static PurchaseTable For(PropensityModel model, PurchaseTable purchases, PurchaseTable? withInteractions)
    {
        ArgumentNullException.ThrowIfNull(model);
        return withInteractions is not null && model.Fits(FeatureLayout.WithInteractions) ? withInteractions : purchases;
    }
}

/// <summary>
/// Interaction events as flat columns (no subject, no campaign): customer i owns events Offsets[i] to Offsets[i + 1],
/// oldest first. A rating of 0 is none; resolved ticks of 0 is still open.
/// </summary>
public sealed record CompactInteractions(
    string[] CustomerIds, int[] Offsets, long[] Ticks, byte[] Channels, bool[] Inbound, byte[] Types, byte[] Ratings, long[] ResolvedTicks)
{
    /// <summary>The events of the given customers (those without any are left out).</summary>
    public static CompactInteractions From(IReadOnlyDictionary<string, IReadOnlyList<InteractionEvent>> interactions, IEnumerable<string> customerIds)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        ArgumentNullException.ThrowIfNull(customerIds);
        var ids = customerIds.Where(interactions.ContainsKey).ToArray();
        var events = ids.SelectMany(id => interactions[id]).ToArray();
        var offsets = new int[ids.Length + 1];
        for (var i = 0; i < ids.Length; i++)
        {
            offsets[i + 1] = offsets[i] + interactions[ids[i]].Count;
        }

        return new CompactInteractions(
            ids,
            offsets,
            [.. events.Select(e => e.TimestampUtc.Ticks)],
            [.. events.Select(e => (byte)e.Channel)],
            [.. events.Select(e => e.Inbound)],
            [.. events.Select(e => (byte)e.Type)],
            [.. events.Select(e => (byte)(e.Rating ?? 0))],
            [.. events.Select(e => e.ResolvedUtc?.Ticks ?? 0)]);
    }

    public Dictionary<string, IReadOnlyList<InteractionEvent>> ToDictionary()
    {
        var byCustomer = new Dictionary<string, IReadOnlyList<InteractionEvent>>(CustomerIds.Length, StringComparer.Ordinal);
        for (var i = 0; i < CustomerIds.Length; i++)
        {
            var events = new InteractionEvent[Offsets[i + 1] - Offsets[i]];
            for (var e = 0; e < events.Length; e++)
            {
                var at = Offsets[i] + e;
                events[e] = new InteractionEvent(
                    new DateTime(Ticks[at], DateTimeKind.Utc),
                    (InteractionChannel)Channels[at],
                    Inbound[at],
                    (InteractionType)Types[at],
                    Ratings[at] == 0 ? null : Ratings[at],
                    ResolvedTicks[at] == 0 ? null : new DateTime(ResolvedTicks[at], DateTimeKind.Utc));
            }

            byCustomer[CustomerIds[i]] = events;
        }

        return byCustomer;
    }
}
