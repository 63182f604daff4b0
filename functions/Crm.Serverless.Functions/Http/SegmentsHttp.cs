using System.Globalization;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Export;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Ml.Segmentation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Http;

public sealed record SegmentsResponse(string RunId, DateOnly AsOf, DateTimeOffset? CompletedAt, IReadOnlyList<SegmentSummary> Segments);

public sealed class SegmentsHttp(SegmentReader segments, CustomerCsvExporter exporter)
{
    public const int DefaultPageSize = 100;

    /// <summary>Each segment's size, mean CLV and mean churn probability, as of the current run (the run pointer; marketing key).</summary>
    [Function("GetSegments")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "segments")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var run = await segments.GetLatestRunAsync(cancellationToken);
        return run is null
            ? Problems.NotFound(request, "No scoring run has completed yet.")
            : new ApiResult(StatusCodes.Status200OK, new SegmentsResponse(run.RunId, run.AsOf, run.CompletedAt, run.Segments));
    }

    /// <summary>
    /// A segment's customers: JSON page by page, or the whole segment as CSV (Accept: text/csv or ?format=csv),
    /// each with their marketing consent as stored now; <c>?marketable=true</c> keeps only those who consent.
    /// </summary>
    [Function("GetSegmentCustomers")]
    public async Task<IActionResult> Customers(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "segments/{name}/customers")] HttpRequest request,
        string name,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (RfmSegmentTable.FromSlug(name) is not { } segment)
        {
            return Problems.NotFound(request, $"No segment '{name}'. Segments: {string.Join(", ", RfmSegmentTable.Slugs)}.");
        }

        var pageSizeText = request.Query["pageSize"].ToString();
        var pageSize = DefaultPageSize;
        if (pageSizeText.Length > 0 && (!int.TryParse(pageSizeText, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > SegmentReader.MaxPageSize))
        {
            return Problems.Validation(request, [new FieldError("pageSize", $"must be a whole number from 1 to {SegmentReader.MaxPageSize}")]);
        }

        var marketableText = request.Query["marketable"].ToString();
        if (marketableText.Length > 0 && !bool.TryParse(marketableText, out _))
        {
            return Problems.Validation(request, [new FieldError("marketable", "must be true or false")]);
        }

        // Consent is read from the customer rows now, not from the nightly scores: a withdrawal counts at once.
        var marketable = marketableText.Length > 0 && bool.Parse(marketableText);
        var run = await segments.GetLatestRunAsync(cancellationToken);
        if (run is null)
        {
            return Problems.NotFound(request, "No scoring run has completed yet.");
        }

        if (WantsCsv(request))
        {
            // Written whole before answering: a failure half-way is an error response, never a 200 cut short.
            var staged = await exporter.StageSegmentAsync(segment.Slug(), marketable, cancellationToken);
            return staged is null
                ? Problems.NotFound(request, "No scoring run has completed yet.")
                : new CsvResult(staged, $"{segment.Slug()}-{run.AsOf:yyyy-MM-dd}.csv");
        }

        var token = request.Query["continuationToken"].ToString();
        try
        {
            var page = await segments.GetPageAsync(run, segment.Slug(), pageSize, token.Length == 0 ? null : token, marketable, cancellationToken);
            return new ApiResult(StatusCodes.Status200OK, page);
        }
        catch (Azure.RequestFailedException exception) when (exception.Status == 400)
        {
            return Problems.Validation(request, [new FieldError("continuationToken", "is not a token this API handed out")]);
        }
        catch (FormatException)
        {
            return Problems.Validation(request, [new FieldError("continuationToken", "is not a token this API handed out")]);
        }
        catch (InvalidContinuationTokenException exception)
        {
            return Problems.Validation(request, [new FieldError("continuationToken", exception.Message)]);
        }
    }

    private static bool WantsCsv(HttpRequest request)
        => string.Equals(request.Query["format"], "csv", StringComparison.OrdinalIgnoreCase)
           || request.Headers.Accept.Any(a => a?.Contains("text/csv", StringComparison.OrdinalIgnoreCase) == true);
}
