using System.Globalization;
using System.Text.Json;
using Crm.Serverless.Core.Campaigns;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Validation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Http;

public sealed record CampaignsResponse(IReadOnlyList<Campaign> Campaigns);

/// <summary>
/// Campaigns for marketing tools, at the function-key level: create one from a segment (the same
/// <see cref="CampaignService"/> as <c>crm campaigns create</c>), list them, and read one's uplift report.
/// </summary>
public sealed class CampaignsHttp(JsonBodyReader reader, CampaignService campaigns)
{
    /// <summary>
    /// <c>{"name", "segment", "marketableOnly", "controlShare", "seed", "sentAt"}</c>: 201 with the campaign, 400 naming
    /// each bad field, 409 when the name is taken, 404 before the first complete run.
    /// </summary>
    [Function("PostCampaign")]
    public async Task<IActionResult> Create(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "campaigns")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var (body, error) = await reader.ReadAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (campaign, errors) = Parse(body);
        if (errors.Count > 0)
        {
            return Problems.Validation(request, errors);
        }

        var created = await campaigns.CreateAsync(campaign!, cancellationToken);
        return created.Status switch
        {
            CampaignCreationStatus.Created => new ApiResult(StatusCodes.Status201Created, created.Campaign!),
            CampaignCreationStatus.Exists => Problems.Create(request, StatusCodes.Status409Conflict, "A campaign with this name exists.", "Campaign names are unique (ignoring case); nothing was changed.", Problems.ToDictionary([new FieldError("name", "is taken by an existing campaign")])),
            CampaignCreationStatus.NoRun => Problems.NotFound(request, "No scoring run has completed yet, so there are no segments to target."),
            _ => Problems.Validation(request, created.Errors),
        };
    }

    [Function("GetCampaigns")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "campaigns")] HttpRequest request,
        CancellationToken cancellationToken)
        => new ApiResult(StatusCodes.Status200OK, new CampaignsResponse(await campaigns.ListAsync(cancellationToken)));

    /// <summary>Treatment against control in the window after the send date (<c>?window=30</c> days), as of now.</summary>
    [Function("GetCampaignReport")]
    public async Task<IActionResult> Report(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "campaigns/{name}/report")] HttpRequest request,
        string name,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var windowText = request.Query["window"].ToString();
        var window = CampaignFigures.DefaultWindowDays;
        if (windowText.Length > 0 && (!int.TryParse(windowText, NumberStyles.None, CultureInfo.InvariantCulture, out window) || window is < 1 or > CampaignFigures.MaxWindowDays))
        {
            return Problems.Validation(request, [new FieldError("window", $"must be a whole number of days from 1 to {CampaignFigures.MaxWindowDays}")]);
        }

        return await campaigns.ReportAsync(name, window, cancellationToken) is { } report
            ? new ApiResult(StatusCodes.Status200OK, report)
            : Problems.NotFound(request, "No campaign with this name.");
    }

    /// <summary>Reads the body's members by type; range and pattern checks are <see cref="CampaignRules"/>'s, shared with the CLI.</summary>
    private static (CampaignRequest? Request, List<FieldError> Errors) Parse(ReadOnlyMemory<byte> body)
    {
        var errors = new List<FieldError>();
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = IngestJsonParser.MaxDepth });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, [new FieldError("body", """must be a JSON object: {"name": "...", "segment": "..."}""")]);
            }

            var name = String(root, "name", errors);
            var segment = String(root, "segment", errors);
            var marketable = false;
            if (root.TryGetProperty("marketableOnly", out var m) && m.ValueKind != JsonValueKind.Null)
            {
                if (m.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    marketable = m.GetBoolean();
                }
                else
                {
                    errors.Add(new FieldError("marketableOnly", "must be true or false"));
                }
            }

            var share = CampaignRules.DefaultControlShare;
            if (root.TryGetProperty("controlShare", out var c) && c.ValueKind != JsonValueKind.Null && !(c.ValueKind == JsonValueKind.Number && c.TryGetDouble(out share)))
            {
                errors.Add(new FieldError("controlShare", "must be a number (a fraction: 0.1 holds out 10%)"));
            }

            long? seed = null;
            if (root.TryGetProperty("seed", out var s) && s.ValueKind != JsonValueKind.Null)
            {
                if (s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var value))
                {
                    seed = value;
                }
                else
                {
                    errors.Add(new FieldError("seed", "must be a whole number"));
                }
            }

            DateTimeOffset? sentAt = null;
            if (String(root, "sentAt", errors, required: false) is { } sentText)
            {
                if (TimestampFormat.TryParse(sentText, out var at))
                {
                    sentAt = at;
                }
                else
                {
                    errors.Add(new FieldError("sentAt", "must be " + TimestampFormat.Expected));
                }
            }

            var request = new CampaignRequest(name, segment, marketable, share, seed, sentAt);
            errors.AddRange(CampaignRules.Check(request).Where(e => !errors.Any(known => known.Field == e.Field)));
            return (request, errors);
        }
        catch (JsonException)
        {
            return (null, [new FieldError("body", """must be a JSON object: {"name": "...", "segment": "..."}""")]);
        }
        catch (InvalidOperationException)
        {
            // Invalid UTF-8 or a lone-surrogate escape: System.Text.Json only throws once the text is read.
            return (null, [new FieldError("body", "must be valid Unicode text (no invalid UTF-8 and no lone surrogate escapes)")]);
        }
    }

    private static string? String(JsonElement root, string field, List<FieldError> errors, bool required = true)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(new FieldError(field, required ? "is required, as a string" : "must be a string"));
            return null;
        }

        return value.GetString();
    }
}
