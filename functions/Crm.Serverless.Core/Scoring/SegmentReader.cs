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
/// </summary>
public sealed class SegmentReader(CrmTables tables, RunStore runs)
{
    public const int MaxPageSize = 1000;

    public Task<RunRecord?> GetLatestRunAsync(CancellationToken cancellationToken) => runs.GetLatestCompleteAsync(cancellationToken);

    public async Task<SegmentPage> GetPageAsync(RunRecord run, string segment, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var query = tables.Scores.QueryAsync<ScoreEntity>(Filter(run, segment), maxPerPage: Math.Clamp(pageSize, 1, MaxPageSize), cancellationToken: cancellationToken);
        await foreach (var page in query.AsPages(continuationToken, Math.Clamp(pageSize, 1, MaxPageSize)))
        {
            return new SegmentPage(segment, run.RunId, [.. page.Values.Select(e => e.ToScore())], page.ContinuationToken);
        }

        return new SegmentPage(segment, run.RunId, [], null);
    }

    public async IAsyncEnumerable<CustomerScore> StreamAsync(RunRecord run, string? segment, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        await foreach (var entity in tables.Scores.QueryAsync<ScoreEntity>(Filter(run, segment), maxPerPage: MaxPageSize, cancellationToken: cancellationToken))
        {
            yield return entity.ToScore();
        }
    }

    private static string Filter(RunRecord run, string? segment)
        => segment is null
            ? TableClient.CreateQueryFilter($"RunId eq {run.RunId}")
            : TableClient.CreateQueryFilter($"RunId eq {run.RunId} and Segment eq {segment}");
}
