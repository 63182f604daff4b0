using System.Globalization;
using Azure.Data.Tables;
using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Core.Recommendations;

/// <summary>Reads stored recommendations back: one customer by a point read, or every customer shard by shard for the export.</summary>
public sealed class RecommendationReader(CrmTables tables)
{
    /// <summary>The customer's recommendations, an empty list when no run has made any yet, or null when no such customer is stored.</summary>
    public async Task<CustomerRecommendations?> GetAsync(string customerId, CancellationToken cancellationToken)
    {
        var partition = CrmKeys.PartitionOf(customerId);
        var rowKey = CrmKeys.CustomerRow(customerId);
        var customer = tables.Customers.GetEntityIfExistsAsync<TableEntity>(partition, rowKey, ["RowKey"], cancellationToken);
        var recommendations = await tables.Recommendations.GetEntityIfExistsAsync<RecommendationEntity>(partition, rowKey, cancellationToken: cancellationToken);
        if (!(await customer).HasValue)
        {
            return null;
        }

        return recommendations.HasValue ? recommendations.Value!.ToRecommendations() : new CustomerRecommendations(customerId, null, null, []);
    }

    /// <summary>One stored customer's recommendations with at least one sku (the demo's example), or null when none are stored.</summary>
    public async Task<CustomerRecommendations?> ExampleAsync(CancellationToken cancellationToken)
    {
        await foreach (var row in tables.Recommendations.QueryAsync<RecommendationEntity>(maxPerPage: 100, cancellationToken: cancellationToken))
        {
            if (row.ToRecommendations() is { Items.Count: > 0 } found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>Writes <c>customerId,rank,sku,score</c>, one line per recommended sku, shard by shard; returns the customers written.</summary>
    public async Task<int> WriteCsvAsync(TextWriter writer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        await writer.WriteLineAsync("customerId,rank,sku,score");
        var customers = 0;
        foreach (var partition in CrmKeys.AllPartitions())
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition}");
            await foreach (var row in tables.Scanner.QueryAsync<RecommendationEntity>(tables.Recommendations, filter, null, cancellationToken))
            {
                customers++;
                foreach (var item in row.ToRecommendations().Items)
                {
                    await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{Export.CustomerCsvExporter.Escape(row.CustomerId)},{item.Rank},{Export.CustomerCsvExporter.Escape(item.Sku)},{item.Score:0.######}"));
                }
            }
        }

        return customers;
    }
}
