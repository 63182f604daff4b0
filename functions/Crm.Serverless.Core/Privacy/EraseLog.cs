using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Core.Privacy;

/// <summary>
/// Which customers were erased lately, per shard, so that a run writing a shard's scores can let every erase win
/// by reading a few rows instead of the shard's whole customer partition. Table <c>{prefix}Erasures</c>: partition =
/// the customer's shard (as in <see cref="CrmKeys"/>), row key = <c>{erase ticks:D19}-{hash}</c> (time-ordered, so
/// "erased since" is one key range), column <see cref="HashColumn"/> = SHA-256 of the customer id in hex. Never the id:
/// nothing identifying is left once an erase is done (the hash only confirms an id someone already holds, and lives
/// until <see cref="RunPublisher"/> prunes it).
/// </summary>
/// <remarks>
/// The ordering that makes an erase win (<see cref="CustomerPrivacyService.EraseAsync"/> appends here first, then deletes
/// the customer-keyed rows, then the customer's rows in every run's scores table; <see cref="Scoring.ShardScoreWriter"/>
/// reads here before and after writing): if the row is appended before the writer's second read, the writer skips or
/// deletes the customer; if after, the erase's pass over the run tables comes after the writer's rows and deletes them.
/// A run reads from <see cref="WindowStart"/>, its creation minus <see cref="Lookback"/>: an erase that started a little
/// before the run may still have been deleting when stage 1 read the shard, and clocks of two machines differ.
/// </remarks>
public sealed class EraseLog(CrmTables tables, TimeProvider clock)
{
    public const string HashColumn = "CustomerHash";

    /// <summary>Longer than one erase takes from its log row to its last Customers delete, plus clock skew between instances.</summary>
    public static readonly TimeSpan Lookback = TimeSpan.FromHours(1);

    /// <summary>The erase rows a run must honour start here.</summary>
    public static DateTimeOffset WindowStart(DateTimeOffset runCreatedAt) => runCreatedAt - Lookback;

    /// <summary>SHA-256 of the customer id (UTF-8), lower-case hex.</summary>
    public static string Hash(string customerId)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(customerId)));
    }

    /// <summary>Records that <paramref name="customerId"/> is being erased now; one point write. Called before any row is deleted.</summary>
    public async Task AppendAsync(string customerId, CancellationToken cancellationToken)
    {
        var hash = Hash(customerId);
        var row = new TableEntity(CrmKeys.PartitionOf(customerId), Key(clock.GetUtcNow()) + "-" + hash) { [HashColumn] = hash };
        await tables.Erasures.UpsertEntityAsync(row, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>The hashes of the shard's customers erased since <paramref name="since"/>: one key-range query (its rows counted as entities read).</summary>
    /// <returns>The hashes, and the rows read.</returns>
    public async Task<(HashSet<string> Hashes, int RowsRead)> ReadSinceAsync(int shard, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var (partition, from) = (CrmKeys.Partition(shard), Key(since));
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        var read = 0;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {from}");
        await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.Erasures, filter, ["RowKey", HashColumn], cancellationToken))
        {
            read++;
            if (row.GetString(HashColumn) is { Length: > 0 } hash)
            {
                hashes.Add(hash);
            }
        }

        return (hashes, read);
    }

    /// <summary>
    /// Deletes the rows older than <paramref name="horizon"/> in every shard: one query over the (small) table and
    /// 100-row batches per partition. The caller picks a horizon no run in progress can still read past.
    /// </summary>
    /// <returns>The rows deleted.</returns>
    public async Task<int> PruneAsync(DateTimeOffset horizon, CancellationToken cancellationToken)
    {
        var old = new List<TableEntity>();
        var filter = TableClient.CreateQueryFilter($"RowKey lt {Key(horizon)}");
        await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.Erasures, filter, ["PartitionKey", "RowKey"], cancellationToken))
        {
            old.Add(new TableEntity(row.PartitionKey, row.RowKey));
        }

        foreach (var chunk in old.GroupBy(r => r.PartitionKey, StringComparer.Ordinal).SelectMany(p => p.Chunk(100)))
        {
            try
            {
                await tables.Erasures.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, Azure.ETag.All)), cancellationToken);
            }
            catch (TableTransactionFailedException exception) when (exception.Status == 404)
            {
                // Another prune got to one of these first; whatever is left goes next time.
            }
        }

        return old.Count;
    }

    private static string Key(DateTimeOffset time) => time.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);
}
