using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Core.Storage;

/// <summary>One shard's interactions by customer id, and how many rows reading them took.</summary>
public sealed record InteractionShardRead(IReadOnlyDictionary<string, IReadOnlyList<InteractionEvent>> Interactions, long RowsRead);

/// <summary>
/// Reads interactions back: a shard's for the models (1,000-row pages, no subject), one customer's for the 360
/// view, and the aggregates rows for the exports. Customer-keyed like the Customers table (<see cref="CrmKeys"/>).
/// </summary>
public sealed class InteractionReader(CrmTables tables)
{
    /// <summary>What the models and the run's figures read: never the subject (free text stays out of features and artefacts).</summary>
    private static readonly string[] EventColumns =
    [
        "RowKey", nameof(InteractionEntity.OccurredAt), nameof(InteractionEntity.Channel), nameof(InteractionEntity.Direction),
        nameof(InteractionEntity.Type), nameof(InteractionEntity.Rating), nameof(InteractionEntity.ResolvedAt),
    ];

    /// <summary>
    /// Whether the store holds any interaction at all: a shop that never sent one gets no interaction features
    /// (absent, not zero). One request of at most one row.
    /// </summary>
    public async Task<bool> AnyAsync(CancellationToken cancellationToken)
    {
        await foreach (var page in tables.Interactions.QueryAsync<TableEntity>(maxPerPage: 1, select: ["RowKey"], cancellationToken: cancellationToken).AsPages(pageSizeHint: 1))
        {
            if (page.Values.Count > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Every customer of the shard with interactions, each customer's interactions oldest first (without campaign id,
    /// which no feature or figure uses), and the rows the partition scan read (aggregates rows included).
    /// </summary>
    public async Task<InteractionShardRead> ReadShardAsync(int shard, CancellationToken cancellationToken)
    {
        var events = new Dictionary<string, List<InteractionEvent>>(StringComparer.Ordinal);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {CrmKeys.Partition(shard)}");
        long rowsRead = 0;
        await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.Interactions, filter, EventColumns, cancellationToken))
        {
            rowsRead++;
            if (CrmKeys.IsCustomerRow(row.RowKey))
            {
                continue;
            }

            var customerId = CrmKeys.CustomerIdOf(row.RowKey);
            if (!events.TryGetValue(customerId, out var list))
            {
                list = [];
                events[customerId] = list;
            }

            list.Add(InteractionEntity.FromRow(row).ToInteraction().ToEvent());
        }

        return new InteractionShardRead(
            events.ToDictionary(
                pair => pair.Key,
                pair => (IReadOnlyList<InteractionEvent>)[.. pair.Value.OrderBy(e => e.TimestampUtc)],
                StringComparer.Ordinal),
            rowsRead);
    }

    /// <summary>One customer's aggregates row (null when none) and every interaction, newest first: one range query.</summary>
    public async Task<(InteractionSummaryEntity? Summary, IReadOnlyList<InteractionEntity> Interactions)> ReadCustomerAsync(string customerId, CancellationToken cancellationToken)
    {
        InteractionSummaryEntity? summary = null;
        var interactions = new List<InteractionEntity>();
        await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.Interactions, CrmKeys.CustomerRangeFilter(customerId), null, cancellationToken))
        {
            if (CrmKeys.IsCustomerRow(row.RowKey))
            {
                summary = ToSummary(row);
            }
            else
            {
                interactions.Add(InteractionEntity.FromRow(row));
            }
        }

        return (summary, [.. interactions.OrderByDescending(i => i.OccurredAt).ThenByDescending(i => i.InteractionId, StringComparer.Ordinal)]);
    }

    /// <summary>The aggregates rows of one shard by customer id, reading only their columns in 1,000-row pages.</summary>
    public async Task<Dictionary<string, InteractionSummaryEntity>> ReadSummariesAsync(string partition, CancellationToken cancellationToken)
    {
        var summaries = new Dictionary<string, InteractionSummaryEntity>(StringComparer.Ordinal);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition}");
        await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.Interactions, filter, InteractionSummaryEntity.Columns, cancellationToken))
        {
            if (CrmKeys.IsCustomerRow(row.RowKey))
            {
                summaries[CrmKeys.CustomerIdOf(row.RowKey)] = ToSummary(row);
            }
        }

        return summaries;
    }

    /// <summary>The aggregates rows of the given customers by point reads (16 in flight): right for a page of a segment.</summary>
    public async Task<Dictionary<string, InteractionSummaryEntity>> ReadSummariesAsync(IReadOnlyList<string> customerIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        var found = new InteractionSummaryEntity?[customerIds.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, customerIds.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var id = customerIds[i];
                var row = await KeyedRows.FindAsync(tables.Scanner, tables.Interactions, CrmKeys.PartitionOf(id), CrmKeys.CustomerRow(id), InteractionSummaryEntity.Columns, ct);
                found[i] = row is null ? null : ToSummary(row);
            });
        var summaries = new Dictionary<string, InteractionSummaryEntity>(StringComparer.Ordinal);
        for (var i = 0; i < customerIds.Count; i++)
        {
            if (found[i] is { } summary)
            {
                summaries[customerIds[i]] = summary;
            }
        }

        return summaries;
    }

    private static InteractionSummaryEntity ToSummary(TableEntity row) => new()
    {
        PartitionKey = row.PartitionKey,
        RowKey = row.RowKey,
        ETag = row.ETag,
        CustomerId = CrmKeys.CustomerIdOf(row.RowKey),
        Count = row.GetInt32(nameof(InteractionSummaryEntity.Count)) ?? 0,
        LastInboundAt = row.GetDateTimeOffset(nameof(InteractionSummaryEntity.LastInboundAt)),
        LastOutboundAt = row.GetDateTimeOffset(nameof(InteractionSummaryEntity.LastOutboundAt)),
        OpenComplaints = row.GetInt32(nameof(InteractionSummaryEntity.OpenComplaints)) ?? 0,
        LastRating = row.GetInt32(nameof(InteractionSummaryEntity.LastRating)),
        LastRatingAt = row.GetDateTimeOffset(nameof(InteractionSummaryEntity.LastRatingAt)),
        TotalsJson = row.GetString(nameof(InteractionSummaryEntity.TotalsJson)) ?? "{}",
        DaysJson = row.GetString(nameof(InteractionSummaryEntity.DaysJson)) ?? "{}",
        WrittenAt = row.GetDateTimeOffset(nameof(InteractionSummaryEntity.WrittenAt)) ?? default,
    };
}
