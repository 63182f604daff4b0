using System.Globalization;
using Azure.Data.Tables;
using Crm.Serverless.Ml.Segmentation;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// The key layout of one run's scores table, <c>{prefix}Scores{runId}</c>. A table per run rather than a partition
/// range per run in one table: a run never touches another run's rows, the previous run stays whole while the next
/// one writes, and pruning a run is one table delete instead of deleting millions of rows 100 at a time.
/// Each customer has one row (<see cref="ScoreEntity"/>): their scores and, once they have bought something with line
/// items, their next best products of the run:
/// <list type="bullet">
/// <item>partition <c>{segment}|{shard}</c>, RowKey <c>{customerId}|</c>: a segment's customers are
/// one contiguous partition range, read page by page by key, never by scanning. The shard bucket keeps a partition to
/// one shard's share of a segment, so 64 shard writers fill 64 partitions in parallel (a partition takes about 2,000
/// entities/s; a 3M-customer segment in one partition would take 25 minutes to write). A reader holding only the id
/// (the 360 view, the erase, the data export) does not know the segment: it reads the RowKey in each of the shard's
/// <see cref="CustomerPartitions"/> at once (<see cref="CustomerScoreRows"/>), 11 requests by key. One row instead of
/// the three of earlier builds (a customer-keyed row, this copy, a recommendations row) means one entity written per
/// customer a night, the entity traffic that bounds a night at 10M customers (BENCHMARKS.md, "Nightly stages").</item>
/// <item>a customer with no purchase has no row and is served the run's popular skus (<see cref="PopularRecommendations"/>,
/// one row of the run).</item>
/// </list>
/// Write cost per customer: one entity, written in 100-entity batches of one partition each, so about 0.01
/// requests per customer plus up to one part-filled batch per segment per shard (11 segments x 64 shards).
/// </summary>
public static class RunScoreKeys
{
    private const int RunIdLength = 20;

    public static string TableName(string scoresPrefix, string runId)
    {
        ArgumentNullException.ThrowIfNull(runId);
        if (!IsRunId(runId))
        {
            throw new ArgumentException("A run id is 'r' and 19 digits.", nameof(runId));
        }

        return scoresPrefix + runId;
    }

    /// <summary>Exactly <c>{prefix}Scores</c> and a run id, so another store's prefix that begins like this one's never matches.</summary>
    public static bool IsTableName(string scoresPrefix, string tableName)
    {
        ArgumentNullException.ThrowIfNull(tableName);
        return tableName.Length == scoresPrefix.Length + RunIdLength
               && tableName.StartsWith(scoresPrefix, StringComparison.Ordinal)
               && IsRunId(tableName[scoresPrefix.Length..]);
    }

    public static string RunIdOf(string scoresPrefix, string tableName) => tableName[scoresPrefix.Length..];

    public static string SegmentPartition(string segment, int shard) => segment + CrmKeys.Separator + shard.ToString("D2", CultureInfo.InvariantCulture);

    /// <summary>
    /// Every partition of one shard that can hold a customer's score row: the segment partitions; with
    /// <paramref name="withLegacy"/> also the two where runs of builds before the one-row layout kept a customer's other
    /// rows (a customer-keyed copy of the scores in the shard's own partition, the recommendations in
    /// <see cref="RecommendationPartition"/>), which an erase or data export must still find while such a run is retained.
    /// Erase completeness rests on this list: a segment's slug renamed or removed would hide retained runs' rows from it,
    /// so the slugs are pinned by a test (<c>RfmSegmentTableTests</c>).
    /// </summary>
    public static IReadOnlyList<string> CustomerPartitions(int shard, bool withLegacy = false)
        => [.. RfmSegmentTable.Slugs.Select(slug => SegmentPartition(slug, shard)), .. withLegacy ? [CrmKeys.Partition(shard), RecommendationPartition(shard)] : Array.Empty<string>()];

    /// <summary>No segment's slug is this word, so the recommendations never fall in a segment's range.</summary>
    public static string RecommendationPartition(int shard) => "recommendations" + CrmKeys.Separator + shard.ToString("D2", CultureInfo.InvariantCulture);

    /// <summary>A recommendations partition of a run's table (a shard's, or the popular row's), not scores.</summary>
    public static bool IsRecommendationPartition(string partitionKey)
        => partitionKey is not null && partitionKey.StartsWith("recommendations" + CrmKeys.Separator, StringComparison.Ordinal);

    /// <summary>
    /// The run's one row for customers without a row of their own (no purchase yet: the popular skus), keyed outside
    /// every shard's range so the export and the erase never meet it. It holds no customer id.
    /// </summary>
    public static (string PartitionKey, string RowKey) PopularRecommendations => ("recommendations" + CrmKeys.Separator + "all", "popular");

    /// <summary>Every segment row of one segment, all shard buckets in order: one partition range.</summary>
    public static string SegmentFilter(string segment)
        => TableClient.CreateQueryFilter($"PartitionKey ge {segment + CrmKeys.Separator} and PartitionKey lt {segment + "}"}");

    private static bool IsRunId(string value) => value.Length == RunIdLength && value[0] == 'r' && value.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0;
}
