using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Validation;
using Microsoft.AspNetCore.Http;

namespace Crm.Serverless.Functions.Http;

/// <summary>One item's result in a batch answer.</summary>
public sealed record ItemResult(int Index, IngestStatus Status, string? CustomerId, string? Id, IReadOnlyDictionary<string, string[]>? Errors);

public sealed record BatchResult(int Accepted, int Duplicates, int Conflicts, int Rejected, IReadOnlyList<ItemResult> Items, int Updated = 0, int Stale = 0);

public sealed record ItemAccepted(IngestStatus Status, string CustomerId, string Id);

/// <summary>
/// Maps ingestion outcomes to HTTP. One item: 201 stored, 200 updated, duplicate (a retry) or stale (an older
/// update, nothing changed), 409 conflict, 400 invalid.
/// A batch: 200 with a result per item when anything was stored or recognised, otherwise 400 naming each bad field.
/// </summary>
public static class IngestResponses
{
    public static ApiResult BodyError<T>(HttpRequest request, ParsedBody<T> body)
        where T : class
        => body.TooLarge
            ? Problems.TooLarge(request, body.BodyError!.Message)
            : Problems.Validation(request, [body.BodyError!], "The body is not a valid item or batch.");

    public static ApiResult For(HttpRequest request, bool isBatch, IReadOnlyList<ItemOutcome> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        if (!isBatch)
        {
            var outcome = outcomes[0];
            return outcome.Status switch
            {
                IngestStatus.Accepted => Created(outcome),
                IngestStatus.Duplicate or IngestStatus.Updated or IngestStatus.Stale => new ApiResult(StatusCodes.Status200OK, new ItemAccepted(outcome.Status, outcome.CustomerId!, outcome.Id!)),
                IngestStatus.Conflict => Problems.Conflict(request, outcome.Errors),
                _ => Problems.Validation(request, outcome.Errors),
            };
        }

        var items = outcomes
            .Select(o => new ItemResult(o.Index, o.Status, o.CustomerId, o.Id, o.Errors.Count == 0 ? null : Problems.ToDictionary(o.Errors)))
            .ToList();
        var result = new BatchResult(
            outcomes.Count(o => o.Status == IngestStatus.Accepted),
            outcomes.Count(o => o.Status == IngestStatus.Duplicate),
            outcomes.Count(o => o.Status == IngestStatus.Conflict),
            outcomes.Count(o => o.Status == IngestStatus.Rejected),
            items,
            outcomes.Count(o => o.Status == IngestStatus.Updated),
            outcomes.Count(o => o.Status == IngestStatus.Stale));
        if (result.Accepted + result.Duplicates + result.Updated + result.Stale > 0)
        {
            return new ApiResult(StatusCodes.Status200OK, result);
        }

        var status = result.Rejected == 0 ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest;
        return Problems.Create(
            request,
            status,
            status == StatusCodes.Status409Conflict ? "Every item conflicts with one already stored." : "No item of the batch was valid.",
            "Nothing was stored; see errors and items.",
            Problems.ToDictionary(outcomes.SelectMany(o => o.Errors)),
            items);
    }

    private static ApiResult Created(ItemOutcome outcome)
    {
        var result = new ApiResult(StatusCodes.Status201Created, new ItemAccepted(outcome.Status, outcome.CustomerId!, outcome.Id!));
        result.Headers["Location"] = "/api/customers/" + Uri.EscapeDataString(outcome.CustomerId!);
        return result;
    }
}
