using System.Globalization;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Core.Campaigns;

/// <summary>
/// Campaign records and their members. Membership is stored twice, on purpose:
/// <list type="bullet">
/// <item><see cref="CrmTables.CampaignMembers"/>, keyed like every other customer table (the customer's shard,
/// row key <c>{customerId}|{campaignKey}</c>), so erasure and the access export find it by the customer's range.</item>
/// <item><see cref="CrmTables.CampaignIndex"/>, partition = campaign key, row key = customer id, so exporting or
/// reporting a campaign reads one partition in 1,000-row pages instead of filtering all 64 shards of every
/// campaign's members. A list blob per campaign would be one read too, but an erasure would have to rewrite every
/// blob naming the customer under an ETag; here it deletes one row per campaign, found from the customer's own
/// rows (<see cref="EraseIndexAsync"/>), and the erase runs before the customer-keyed rows go.</item>
/// </list>
/// </summary>
public sealed class CampaignStore(CrmTables tables)
{
    private const string RecordsPartition = "campaigns";
    private const int MaxBatch = 100;

    public static string KeyOf(string name) => name.ToLowerInvariant();

    /// <summary>Adds the record; false when a campaign with this key exists (nothing is overwritten).</summary>
    public async Task<bool> TryAddAsync(Campaign campaign, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        try
        {
            await tables.Campaigns.AddEntityAsync(ToEntity(campaign), cancellationToken);
            return true;
        }
        catch (RequestFailedException exception) when (exception.Status == 409)
        {
            return false;
        }
    }

    public async Task UpdateAsync(Campaign campaign, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        await tables.Campaigns.UpsertEntityAsync(ToEntity(campaign), TableUpdateMode.Replace, cancellationToken);
    }

    public async Task<Campaign?> GetAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        var row = await tables.Campaigns.GetEntityIfExistsAsync<TableEntity>(RecordsPartition, KeyOf(name), cancellationToken: cancellationToken);
        return row.HasValue ? FromEntity(row.Value!) : null;
    }

    public async Task<List<Campaign>> ListAsync(CancellationToken cancellationToken)
    {
        var list = new List<Campaign>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {RecordsPartition}");
        await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.Campaigns, filter, null, cancellationToken))
        {
            list.Add(FromEntity(row));
        }

        return [.. list.OrderBy(c => c.CreatedAt)];
    }

    /// <summary>Upserts both rows of every member, in batches of one partition: writing them again (a resumed creation) changes nothing.</summary>
    public async Task WriteMembersAsync(string campaignKey, IReadOnlyCollection<(string CustomerId, CampaignGroup Group)> members, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(members);
        foreach (var chunk in members.Chunk(MaxBatch))
        {
            await tables.CampaignIndex.SubmitTransactionAsync(
                chunk.Select(m => new TableTransactionAction(TableTransactionActionType.UpsertReplace, IndexRow(campaignKey, m.CustomerId, m.Group))),
                cancellationToken);
        }

        foreach (var shard in members.GroupBy(m => CrmKeys.PartitionOf(m.CustomerId), StringComparer.Ordinal))
        {
            foreach (var chunk in shard.Chunk(MaxBatch))
            {
                await tables.CampaignMembers.SubmitTransactionAsync(
                    chunk.Select(m => new TableTransactionAction(TableTransactionActionType.UpsertReplace, MemberRow(campaignKey, m.CustomerId, m.Group))),
                    cancellationToken);
            }
        }
    }

    /// <summary>Deletes both rows of the given members (customers erased while a campaign was being created).</summary>
    public async Task DeleteMembersAsync(string campaignKey, IEnumerable<string> customerIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        foreach (var customerId in customerIds)
        {
            await KeyedRows.DeleteIfExistsAsync(tables.CampaignIndex, campaignKey, customerId, cancellationToken);
            await KeyedRows.DeleteIfExistsAsync(tables.CampaignMembers, CrmKeys.PartitionOf(customerId), MemberRowKey(customerId, campaignKey), cancellationToken);
        }
    }

    /// <summary>One campaign's members, from its index partition (1,000 rows a request).</summary>
    public async IAsyncEnumerable<(string CustomerId, CampaignGroup Group)> ReadMembersAsync(string campaignKey, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {campaignKey}");
        await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.CampaignIndex, filter, ["RowKey", "Group"], cancellationToken))
        {
            yield return (row.RowKey, Enum.Parse<CampaignGroup>(row.GetString("Group")!));
        }
    }

    /// <summary>Every campaign's members in one shard, by campaign key: one query of the shard's partition of <see cref="CrmTables.CampaignMembers"/>.</summary>
    public async Task<Dictionary<string, Dictionary<string, CampaignGroup>>> ReadShardMembersAsync(int shard, CancellationToken cancellationToken)
    {
        var members = new Dictionary<string, Dictionary<string, CampaignGroup>>(StringComparer.Ordinal);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {CrmKeys.Partition(shard)}");
        await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.CampaignMembers, filter, ["CustomerId", "Campaign", "Group"], cancellationToken))
        {
            var campaign = row.GetString("Campaign")!;
            if (!members.TryGetValue(campaign, out var group))
            {
                group = new Dictionary<string, CampaignGroup>(StringComparer.Ordinal);
                members[campaign] = group;
            }

            group[row.GetString("CustomerId")!] = Enum.Parse<CampaignGroup>(row.GetString("Group")!);
        }

        return members;
    }

    /// <summary>
    /// The erasure hook: deletes the customer's index rows, one per campaign their customer-keyed rows name. Runs
    /// before those rows are erased, so an erase that dies half-way finds them again when it is repeated.
    /// </summary>
    /// <returns>Index rows deleted.</returns>
    public async Task<int> EraseIndexAsync(string customerId, CancellationToken cancellationToken)
    {
        var deleted = 0;
        await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.CampaignMembers, CrmKeys.CustomerRangeFilter(customerId), ["RowKey", "Campaign"], cancellationToken))
        {
            deleted += await KeyedRows.DeleteIfExistsAsync(tables.CampaignIndex, row.GetString("Campaign")!, customerId, cancellationToken) ? 1 : 0;
        }

        return deleted;
    }

    private static string MemberRowKey(string customerId, string campaignKey) => customerId + CrmKeys.Separator + campaignKey;

    private static TableEntity IndexRow(string campaignKey, string customerId, CampaignGroup group)
        => new(campaignKey, customerId) { ["Group"] = group.ToString() };

    private static TableEntity MemberRow(string campaignKey, string customerId, CampaignGroup group)
        => new(CrmKeys.PartitionOf(customerId), MemberRowKey(customerId, campaignKey))
        {
            ["CustomerId"] = customerId,
            ["Campaign"] = campaignKey,
            ["Group"] = group.ToString(),
        };

    private static TableEntity ToEntity(Campaign c) => new(RecordsPartition, c.Key)
    {
        ["Name"] = c.Name,
        ["Segment"] = c.Segment,
        ["RunId"] = c.RunId,
        ["RunAsOf"] = c.RunAsOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["MarketableOnly"] = c.MarketableOnly,
        ["ControlShare"] = c.ControlShare,
        ["Seed"] = c.Seed,
        ["CreatedAt"] = c.CreatedAt,
        ["SentAt"] = c.SentAt,
        ["Treatment"] = c.Treatment,
        ["Control"] = c.Control,
        ["Status"] = c.Status,
    };

    private static Campaign FromEntity(TableEntity e) => new(
        e.GetString("Name")!,
        e.GetString("Segment")!,
        e.GetString("RunId")!,
        DateOnly.ParseExact(e.GetString("RunAsOf")!, "yyyy-MM-dd", CultureInfo.InvariantCulture),
        e.GetBoolean("MarketableOnly") ?? false,
        e.GetDouble("ControlShare") ?? 0,
        e.GetInt64("Seed") ?? 0,
        e.GetDateTimeOffset("CreatedAt") ?? default,
        e.GetDateTimeOffset("SentAt") ?? default,
        e.GetInt32("Treatment") ?? 0,
        e.GetInt32("Control") ?? 0,
        e.GetString("Status") ?? CampaignStatus.Ready);
}
