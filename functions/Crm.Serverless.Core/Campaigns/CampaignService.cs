using System.Collections.Concurrent;
using System.Security.Cryptography;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Export;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Segmentation;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Campaigns;

public enum CampaignCreationStatus
{
    Created,
    Invalid,
    Exists,
    NoRun,
}

public sealed record CampaignCreation(CampaignCreationStatus Status, Campaign? Campaign, IReadOnlyList<FieldError> Errors);

/// <summary>
/// Campaigns with a held-out control group: creation freezes the target list from the current run's segment (with
/// consent as stored at that moment), splits it (<see cref="CampaignSplit"/>) and stores it; the treatment list is
/// exported for the mailing tool; the report measures both groups in the window after the send date.
/// </summary>
public sealed class CampaignService(
    CampaignStore store,
    SegmentReader segments,
    RunStore runs,
    CustomerReader customers,
    HistoryReader histories,
    BasketReader baskets,
    StoreCurrency storeCurrency,
    TimeProvider clock,
    ILogger<CampaignService> logger)
{
    public async Task<CampaignCreation> CreateAsync(CampaignRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (CampaignRules.Check(request) is { Count: > 0 } errors)
        {
            return new(CampaignCreationStatus.Invalid, null, errors);
        }

        var run = await segments.GetLatestRunAsync(cancellationToken);
        if (run is null)
        {
            return new(CampaignCreationStatus.NoRun, null, []);
        }

        var now = clock.GetUtcNow();
        var campaign = new Campaign(
            request.Name!,
            RfmSegmentTable.FromSlug(request.Segment!)!.Value.Slug(),
            run.RunId,
            run.AsOf,
            request.MarketableOnly,
            request.ControlShare,
            request.Seed ?? RandomNumberGenerator.GetInt32(int.MaxValue),
            now,
            request.SentAt ?? now,
            0,
            0,
            CampaignStatus.Creating);
        if (!await store.TryAddAsync(campaign, cancellationToken))
        {
            var existing = (await store.GetAsync(campaign.Name, cancellationToken))!;
            if (!IsResumable(existing, campaign, request.Seed is not null))
            {
                return new(CampaignCreationStatus.Exists, existing, []);
            }

            // A creation that died after adding its record: finish it with the record's own run and seed.
            campaign = existing;
            run = await runs.GetAsync(existing.RunId, cancellationToken) ?? run;
        }

        var members = new List<(string CustomerId, CampaignGroup Group)>();
        await foreach (var score in segments.StreamWithConsentAsync(run, campaign.Segment, campaign.MarketableOnly, cancellationToken))
        {
            // A customer who has withdrawn consent is in neither group: the split stays random among those who may be sent to.
            if (score.MarketingConsent == false)
            {
                continue;
            }

            members.Add((score.CustomerId, CampaignSplit.Assign(campaign.Seed, campaign.Key, score.CustomerId, campaign.ControlShare)));
        }

        await store.WriteMembersAsync(campaign.Key, members, cancellationToken);
        members = await DropErasedAsync(campaign.Key, members, cancellationToken);
        var control = members.Count(m => m.Group == CampaignGroup.Control);
        campaign = campaign with { Treatment = members.Count - control, Control = control, Status = CampaignStatus.Ready };
        await store.UpdateAsync(campaign, cancellationToken);
        logger.LogInformation("Campaign created from segment {Segment} of run {RunId}: {Treatment} treatment, {Control} control", campaign.Segment, run.RunId, campaign.Treatment, control);
        return new(CampaignCreationStatus.Created, campaign, []);
    }

    public Task<Campaign?> GetAsync(string name, CancellationToken cancellationToken) => store.GetAsync(name, cancellationToken);

    public Task<List<Campaign>> ListAsync(CancellationToken cancellationToken) => store.ListAsync(cancellationToken);

    /// <summary>
    /// The treatment list as CSV for the mailing tool: <c>customerId,email</c>, the e-mail only when known and the
    /// customer consents now (a withdrawal after creation still counts). Control members are never written.
    /// </summary>
    /// <returns>Rows written, or -1 when there is no such campaign.</returns>
    public async Task<int> WriteTreatmentAsync(TextWriter writer, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (await store.GetAsync(name, cancellationToken) is not { } campaign)
        {
            return -1;
        }

        await writer.WriteLineAsync("customerId,email");
        var rows = 0;
        var chunk = new List<string>(1000);
        await foreach (var (customerId, group) in store.ReadMembersAsync(campaign.Key, cancellationToken))
        {
            if (group == CampaignGroup.Treatment)
            {
                chunk.Add(customerId);
            }

            if (chunk.Count == 1000)
            {
                rows += await WriteChunkAsync(writer, chunk, cancellationToken);
            }
        }

        return rows + await WriteChunkAsync(writer, chunk, cancellationToken);
    }

    /// <summary>The campaign's report as of now; null when there is no such campaign.</summary>
    public async Task<CampaignReport?> ReportAsync(string name, int windowDays, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(name, cancellationToken) is not { } campaign)
        {
            return null;
        }

        var members = await ReadMembersAsync(campaign, cancellationToken);
        var (from, to, _, _) = CampaignFigures.Window(campaign, windowDays, clock.GetUtcNow());
        var partials = new ConcurrentBag<CampaignTally>();

        // Only the shards holding members are read, each with the existing history scanner (net of refunds) and basket
        // reader (the lines' unit costs, for margin).
        await Parallel.ForEachAsync(
            members.GroupBy(m => CrmKeys.ShardOf(m.Key)),
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (shard, ct) => partials.Add(CampaignTally.Of(
                shard.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal), await histories.ReadShardAsync(shard.Key, ct), await baskets.ReadShardAsync(shard.Key, ct), from, to)));
        var tally = partials.Aggregate(CampaignTally.Empty, (total, partial) => total + partial);
        return CampaignFigures.Compute(campaign, tally, windowDays, clock.GetUtcNow(), await storeCurrency.GetAsync(cancellationToken) ?? "");
    }

    /// <summary>
    /// One shard's part of the run's campaign figures (stage 1 of a night, from the rows it already read): a tally per
    /// campaign sent by the end of the as-of day, of that shard's members (read from the shard's own partition of
    /// campaign members) in the default window cut at the as-of. Every such campaign gets a tally, an empty one when
    /// the shard holds none of its members, so the merge knows which campaigns the run measured.
    /// </summary>
    public async Task<KeyedTotals<CampaignTally>> TallyShardAsync(
        DateOnly asOf, int shard, IReadOnlyList<CustomerHistory> shardHistories, IReadOnlyList<IReadOnlyList<Basket>> shardBaskets, CancellationToken cancellationToken)
    {
        var tallies = new KeyedTotals<CampaignTally>();
        var asOfEnd = new DateTimeOffset(Nightly.NightPlan.AsOfEnd(asOf), TimeSpan.Zero);
        var sent = (await store.ListAsync(cancellationToken)).Where(c => c.Status == CampaignStatus.Ready && c.SentAt <= asOfEnd).ToList();
        if (sent.Count == 0)
        {
            return tallies;
        }

        var members = await store.ReadShardMembersAsync(shard, cancellationToken);
        foreach (var campaign in sent)
        {
            var (from, to, _, _) = CampaignFigures.Window(campaign, CampaignFigures.DefaultWindowDays, asOfEnd);
            var shardMembers = members.GetValueOrDefault(campaign.Key) ?? new Dictionary<string, CampaignGroup>(StringComparer.Ordinal);
            tallies.Add(campaign.Key, CampaignTally.Of(shardMembers, shardHistories, shardBaskets, from, to));
        }

        return tallies;
    }

    /// <summary>
    /// The campaigns the run measured (those in <paramref name="tallies"/>, every shard's merged), as of the end of its
    /// as-of day with the default window: the figures the run report shows. Reads the campaign records only.
    /// </summary>
    public async Task<List<CampaignReport>> ReportForRunAsync(RunRecord run, KeyedTotals<CampaignTally> tallies, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(tallies);
        var asOfEnd = new DateTimeOffset(Nightly.NightPlan.AsOfEnd(run.AsOf), TimeSpan.Zero);
        var currency = await storeCurrency.GetAsync(cancellationToken) ?? "";
        var reports = new List<CampaignReport>();
        foreach (var campaign in await store.ListAsync(cancellationToken))
        {
            if (tallies.Items.TryGetValue(campaign.Key, out var tally))
            {
                reports.Add(CampaignFigures.Compute(campaign, tally, CampaignFigures.DefaultWindowDays, asOfEnd, currency));
            }
        }

        return reports;
    }

    public async Task<Dictionary<string, CampaignGroup>> ReadMembersAsync(Campaign campaign, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        var members = new Dictionary<string, CampaignGroup>(StringComparer.Ordinal);
        await foreach (var (customerId, group) in store.ReadMembersAsync(campaign.Key, cancellationToken))
        {
            members[customerId] = group;
        }

        return members;
    }

    private static bool IsResumable(Campaign existing, Campaign asked, bool seedGiven)
        => existing.Status == CampaignStatus.Creating
           && existing.Segment == asked.Segment
           && existing.MarketableOnly == asked.MarketableOnly
           && existing.ControlShare.Equals(asked.ControlShare)
           && (!seedGiven || existing.Seed == asked.Seed);

    /// <summary>
    /// Erase wins: a customer erased while the members were written may have had their rows written after the erase
    /// looked; reading which members are still stored and deleting the rest leaves none behind.
    /// </summary>
    private async Task<List<(string CustomerId, CampaignGroup Group)>> DropErasedAsync(string campaignKey, List<(string CustomerId, CampaignGroup Group)> members, CancellationToken cancellationToken)
    {
        var stored = new HashSet<string>(StringComparer.Ordinal);
        foreach (var partition in members.Select(m => CrmKeys.PartitionOf(m.CustomerId)).Distinct(StringComparer.Ordinal))
        {
            stored.UnionWith((await customers.ReadConsentAsync(partition, cancellationToken)).Keys);
        }

        var gone = members.Where(m => !stored.Contains(m.CustomerId)).Select(m => m.CustomerId).ToList();
        await store.DeleteMembersAsync(campaignKey, gone, cancellationToken);
        return [.. members.Where(m => stored.Contains(m.CustomerId))];
    }

    private async Task<int> WriteChunkAsync(TextWriter writer, List<string> chunk, CancellationToken cancellationToken)
    {
        var mailing = await customers.ReadMailingAsync(chunk, cancellationToken);
        var rows = 0;
        foreach (var customerId in chunk)
        {
            if (mailing.TryGetValue(customerId, out var contact))
            {
                var email = contact.Consent == true ? contact.Email : null;
                await writer.WriteLineAsync(CustomerCsvExporter.Escape(customerId) + "," + CustomerCsvExporter.Escape(email));
                rows++;
            }
        }

        chunk.Clear();
        return rows;
    }
}
