using System.Globalization;
using Azure.Data.Tables;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Core.Recommendations;

/// <summary>
/// Reads the current complete run's recommendations, which sit in each customer's score row of the run's table
/// (<see cref="ScoreEntity.RecommendationsJson"/>): one customer by key (<see cref="CustomerScoreRows"/>), or every
/// customer shard by shard for the export. A run still writing, or a backfill that was not published, is never read.
/// Runs of builds before the one-row layout kept them in rows of their own (<see cref="RecommendationEntity"/>,
/// partition <c>recommendations|{shard}</c>); those are still read while such a run is current.
/// </summary>
public sealed class RecommendationReader(CrmTables tables, RunStore runs)
{
    private static readonly string[] RecommendationColumns = [nameof(ScoreEntity.CustomerId), nameof(ScoreEntity.RunId), nameof(ScoreEntity.AsOf), nameof(ScoreEntity.RecommendationsJson)];

    /// <summary>The customer's recommendations, an empty list when the current run made none (or there is none yet), or null when no such customer is stored.</summary>
    public async Task<CustomerRecommendations?> GetAsync(string customerId, CancellationToken cancellationToken)
    {
        var customer = KeyedRows.FindAsync(tables.Scanner, tables.Customers, CrmKeys.PartitionOf(customerId), CrmKeys.CustomerRow(customerId), ["RowKey"], cancellationToken);
        var runId = await runs.GetCurrentRunIdAsync(cancellationToken);
        var recommendations = runId is null ? null : await ReadAsync(tables, runId, customerId, await CustomerScoreRows.FindScoreAsync(tables.Scanner, tables.RunScores(runId), customerId, cancellationToken), cancellationToken);
        if (await customer is null)
        {
            return null;
        }

        return recommendations ?? new CustomerRecommendations(customerId, null, null, []);
    }

    /// <summary>
    /// A stored customer's recommendations in one run, given their score row of it (<see cref="CustomerScoreRows.FindScoreAsync"/>):
    /// the row's own, or for a customer without (no purchase when the run was made) the run's popular skus (one more
    /// read); null when the run made none. A scored customer without recommendations of their own in a run that has
    /// popular skus is one of an older build's run, whose own row is read (one read more).
    /// </summary>
    public static async Task<CustomerRecommendations?> ReadAsync(CrmTables tables, string runId, string customerId, ScoreEntity? scoreRow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        if (scoreRow?.ToRecommendations() is { } own)
        {
            return own;
        }

        var table = tables.RunScores(runId);
        var (partition, rowKey) = RunScoreKeys.PopularRecommendations;
        var popular = await table.GetEntityIfExistsAsync<RecommendationEntity>(partition, rowKey, cancellationToken: cancellationToken);
        if (!popular.HasValue)
        {
            return null;
        }

        var legacy = scoreRow is null ? null : await KeyedRows.FindAsync<RecommendationEntity>(
            tables.Scanner, table, RunScoreKeys.RecommendationPartition(CrmKeys.ShardOf(customerId)), CrmKeys.CustomerRow(customerId), null, cancellationToken);
        return legacy?.ToRecommendations() ?? popular.Value!.ToRecommendations() with { CustomerId = customerId };
    }

    /// <summary>One stored customer's recommendations with at least one sku (the demo's example), or null when none are stored.</summary>
    public async Task<CustomerRecommendations?> ExampleAsync(CancellationToken cancellationToken)
    {
        await foreach (var row in CurrentRowsAsync(cancellationToken))
        {
            if (row is { Items.Count: > 0 } found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>
    /// Writes <c>customerId,rank,sku,score</c>, one line per recommended sku, shard by shard; returns the customers
    /// written. Customers with no purchase at the run (served the popular skus) are not listed.
    /// </summary>
    public async Task<int> WriteCsvAsync(TextWriter writer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        await writer.WriteLineAsync("customerId,rank,sku,score");
        var customers = 0;
        await foreach (var row in CurrentRowsAsync(cancellationToken))
        {
            customers++;
            foreach (var item in row.Items)
            {
                await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{Export.CustomerCsvExporter.Escape(row.CustomerId)},{item.Rank},{Export.CustomerCsvExporter.Escape(item.Sku)},{item.Score:0.######}"));
            }
        }

        return customers;
    }

    /// <summary>
    /// The current run's customers with recommendations of their own: shard by shard, the score rows of its segment
    /// partitions (four columns, 1,000 a request), then an older run's own recommendations partition of the shard.
    /// </summary>
    private async IAsyncEnumerable<CustomerRecommendations> CurrentRowsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (await runs.GetCurrentRunIdAsync(cancellationToken) is not { } runId)
        {
            yield break;
        }

        var table = tables.RunScores(runId);
        for (var shard = 0; shard < CrmKeys.ShardCount; shard++)
        {
            var listed = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var row in CustomerScoreRows.ShardAsync(tables.Scanner, table, shard, RecommendationColumns, cancellationToken))
            {
                if (row.ToRecommendations() is { } own)
                {
                    listed.Add(own.CustomerId);
                    yield return own;
                }
            }

            // A shard written by an older build and retried by this one has both; the score row's are the run's own.
            var legacy = TableClient.CreateQueryFilter($"PartitionKey eq {RunScoreKeys.RecommendationPartition(shard)}");
            await foreach (var row in tables.Scanner.QueryAsync<RecommendationEntity>(table, legacy, null, cancellationToken))
            {
                if (!listed.Contains(row.CustomerId))
                {
                    yield return row.ToRecommendations();
                }
            }
        }
    }
}
