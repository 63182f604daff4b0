using System.Runtime.CompilerServices;
using System.Text;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Segmentation;

namespace Crm.Serverless.Core.Scoring;

/// <summary>One page of a segment's customers and the token for the next (null on the last page).</summary>
public sealed record SegmentPage(string Segment, string RunId, IReadOnlyList<CustomerScore> Customers, string? ContinuationToken);

/// <summary>A continuation token that this API did not hand out, or whose run has been pruned since.</summary>
public sealed class InvalidContinuationTokenException(string message) : Exception(message);

/// <summary>
/// Marketing's read side: segment sizes from the current run (the pointer, <see cref="RunStore.GetLatestCompleteAsync"/>),
/// and a segment's customers page by page, read by key from the run's own table: a segment is one partition range
/// (<see cref="RunScoreKeys.SegmentFilter"/>), so a page costs a request per page of rows plus one point read per
/// customer for consent, whatever the size of the run. A continuation token names its run and the next key (shard
/// bucket and row), so a client paging while a new run is published finishes on the run it started with.
/// Scores are the nightly snapshot; marketing consent is joined from the customer rows at request time, so a
/// withdrawal is honoured by the next request, and <c>marketableOnly</c> keeps only customers who consent now.
/// </summary>
public sealed class SegmentReader(CrmTables tables, RunStore runs, CustomerReader customers)
{
    public const int MaxPageSize = 1000;

    public Task<RunRecord?> GetLatestRunAsync(CancellationToken cancellationToken) => runs.GetLatestCompleteAsync(cancellationToken);

    /// <summary>
    /// One page of the segment with each customer's current consent (one point read per customer of the page), from
    /// <paramref name="run"/> or, with a token, from the run the token was handed out for.
    /// With <paramref name="marketableOnly"/> a page can hold fewer than <paramref name="pageSize"/> customers, even
    /// none, and still have a next page: follow the token until it is null.
    /// </summary>
    /// <exception cref="InvalidContinuationTokenException">The token is not one of ours, or its run is pruned.</exception>
    public async Task<SegmentPage> GetPageAsync(RunRecord run, string segment, int pageSize, string? continuationToken, bool marketableOnly, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var size = Math.Clamp(pageSize, 1, MaxPageSize);
        var (runId, next) = continuationToken is null ? (run.RunId, null) : Decode(continuationToken);
        if (runId != run.RunId && await runs.GetAsync(runId, cancellationToken) is not { Status: RunStatus.Complete or RunStatus.Superseded })
        {
            throw new InvalidContinuationTokenException("names no complete run");
        }

        var table = tables.RunScores(runId);
        var rows = new List<ScoreEntity>(size);
        try
        {
            // The service may end a page early (at a partition boundary, after 5 s): ask again for the rest.
            do
            {
                await foreach (var page in table.QueryAsync<ScoreEntity>(RunScoreKeys.SegmentFilter(segment), maxPerPage: size - rows.Count, cancellationToken: cancellationToken).AsPages(next, size - rows.Count))
                {
                    rows.AddRange(page.Values);
                    next = page.ContinuationToken;
                    break;
                }
            }
            while (rows.Count < size && next is not null);
        }
        catch (Azure.RequestFailedException exception) when (exception.Status == 404)
        {
            throw new InvalidContinuationTokenException("names a run pruned since; start again from the first page");
        }

        var consent = await customers.ReadConsentAsync([.. rows.Select(e => e.CustomerId)], cancellationToken);
        return new SegmentPage(segment, runId, Join(rows.Select(e => e.ToScore()), consent, marketableOnly), next is null ? null : Encode(runId, next));
    }

    /// <summary>
    /// The whole segment, shard bucket by shard bucket (1,000 rows a request), each bucket's scores joined with its
    /// shard's current consent (one partition read of keys and the flag). Erased customers whose row is still there are left out.
    /// </summary>
    public async IAsyncEnumerable<CustomerScore> StreamWithConsentAsync(RunRecord run, string segment, bool marketableOnly, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var bucket = new List<CustomerScore>();
        var partition = "";
        await foreach (var entity in tables.Scanner.QueryAsync<ScoreEntity>(tables.RunScores(run.RunId), RunScoreKeys.SegmentFilter(segment), select: null, cancellationToken))
        {
            if (entity.PartitionKey != partition && bucket.Count > 0)
            {
                foreach (var score in await JoinShardAsync(bucket, marketableOnly, cancellationToken))
                {
                    yield return score;
                }

                bucket.Clear();
            }

            partition = entity.PartitionKey;
            bucket.Add(entity.ToScore());
        }

        if (bucket.Count > 0)
        {
            foreach (var score in await JoinShardAsync(bucket, marketableOnly, cancellationToken))
            {
                yield return score;
            }
        }
    }

    private async Task<List<CustomerScore>> JoinShardAsync(List<CustomerScore> bucket, bool marketableOnly, CancellationToken cancellationToken)
        => Join(bucket, await customers.ReadConsentAsync(CrmKeys.PartitionOf(bucket[0].CustomerId), cancellationToken), marketableOnly);

    private static List<CustomerScore> Join(IEnumerable<CustomerScore> scores, Dictionary<string, bool?> consent, bool marketableOnly)
        => [.. scores
            .Where(score => consent.ContainsKey(score.CustomerId))
            .Select(score => score with { MarketingConsent = consent[score.CustomerId] })
            .Where(score => !marketableOnly || score.MarketingConsent == true)];

    /// <summary>Every score of the run (segment by segment), or one segment's.</summary>
    public async IAsyncEnumerable<CustomerScore> StreamAsync(RunRecord run, string? segment, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var table = tables.RunScores(run.RunId);
        var segments = segment is null ? RfmSegmentTable.Slugs : [segment];
        foreach (var filter in segments.Select(RunScoreKeys.SegmentFilter))
        {
            await foreach (var entity in tables.Scanner.QueryAsync<ScoreEntity>(table, filter, select: null, cancellationToken))
            {
                yield return entity.ToScore();
            }
        }
    }

    private static string Encode(string runId, string tableToken)
        => Convert.ToBase64String(Encoding.UTF8.GetBytes(runId + " " + tableToken)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static (string RunId, string TableToken) Decode(string token)
    {
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=')));
            var space = text.IndexOf(' ', StringComparison.Ordinal);
            var runId = space > 0 ? text[..space] : "";
            if (!RunScoreKeys.IsTableName("", runId) || text.Length == space + 1)
            {
                throw new FormatException();
            }

            return (runId, text[(space + 1)..]);
        }
        catch (FormatException)
        {
            throw new InvalidContinuationTokenException("is not a token this API handed out");
        }
    }
}
