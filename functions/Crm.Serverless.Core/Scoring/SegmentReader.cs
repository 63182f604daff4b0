using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Core.Scoring;

/// <summary>One page of a segment's customers and the token for the next (null on the last page).</summary>
public sealed record SegmentPage(string Segment, string RunId, IReadOnlyList<CustomerScore> Customers, string? ContinuationToken);

/// <summary>
/// Marketing's read side: segment sizes from the latest complete run, and a segment's customers page by page.
/// Continuation tokens are the Table service's own, so a page boundary is stable while the run stays current.
/// Scores are the nightly snapshot; marketing consent is joined from the customer rows at request time, so a
/// withdrawal is honoured by the next request, and <c>marketableOnly</c> keeps only customers who consent now.
/// </summary>
public sealed class SegmentReader(CrmTables tables, RunStore runs, CustomerReader customers)
{
    public const int MaxPageSize = 1000;

    public Task<RunRecord?> GetLatestRunAsync(CancellationToken cancellationToken) => runs.GetLatestCompleteAsync(cancellationToken);

    /// <summary>
    /// One page of the segment with each customer's current consent (one point read per customer of the page).
    /// With <paramref name="marketableOnly"/> a page can hold fewer than <paramref name="pageSize"/> customers, even
    /// none, and still have a next page: follow the token until it is null.
    /// </summary>
    public async Task<SegmentPage> GetPageAsync(RunRecord run, string segment, int pageSize, string? continuationToken, bool marketableOnly, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var query = tables.Scores.QueryAsync<ScoreEntity>(Filter(run, segment), maxPerPage: Math.Clamp(pageSize, 1, MaxPageSize), cancellationToken: cancellationToken);
        await foreach (var page in query.AsPages(continuationToken, Math.Clamp(pageSize, 1, MaxPageSize)))
        {
            var consent = await customers.ReadConsentAsync([.. page.Values.Select(e => e.CustomerId)], cancellationToken);
            return new SegmentPage(segment, run.RunId, Join(page.Values.Select(e => e.ToScore()), consent, marketableOnly), page.ContinuationToken);
        }

        return new SegmentPage(segment, run.RunId, [], null);
    }

    /// <summary>
    /// The whole segment, shard by shard, each shard's scores joined with its customers' current consent (one
    /// partition read of keys and the flag). Erased customers whose scores row is still there are left out.
    /// </summary>
    public async IAsyncEnumerable<CustomerScore> StreamWithConsentAsync(RunRecord run, string segment, bool marketableOnly, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        foreach (var partition in CrmKeys.AllPartitions())
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RunId eq {run.RunId} and Segment eq {segment}");
            var scores = new List<CustomerScore>();
            await foreach (var entity in tables.Scanner.QueryAsync<ScoreEntity>(tables.Scores, filter, select: null, cancellationToken))
            {
                scores.Add(entity.ToScore());
            }

            if (scores.Count == 0)
            {
                continue;
            }

            var consent = await customers.ReadConsentAsync(partition, cancellationToken);
            foreach (var score in Join(scores, consent, marketableOnly))
            {
                yield return score;
            }
        }
    }

    private static List<CustomerScore> Join(IEnumerable<CustomerScore> scores, Dictionary<string, bool?> consent, bool marketableOnly)
        => [.. scores
            .Where(score => consent.ContainsKey(score.CustomerId))
            .Select(score => score with { MarketingConsent = consent[score.CustomerId] })
            .Where(score => !marketableOnly || score.MarketingConsent == true)];

    public async IAsyncEnumerable<CustomerScore> StreamAsync(RunRecord run, string? segment, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        await foreach (var entity in tables.Scanner.QueryAsync<ScoreEntity>(tables.Scores, Filter(run, segment), select: null, cancellationToken))
        {
            yield return entity.ToScore();
        }
    }

    private static string Filter(RunRecord run, string? segment)
        => segment is null
            ? TableClient.CreateQueryFilter($"RunId eq {run.RunId}")
            : TableClient.CreateQueryFilter($"RunId eq {run.RunId} and Segment eq {segment}");
}
