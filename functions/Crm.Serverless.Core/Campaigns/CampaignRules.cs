using System.Text.RegularExpressions;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Ml.Segmentation;

namespace Crm.Serverless.Core.Campaigns;

/// <summary>What a caller asks for when creating a campaign; the CLI and <c>POST /api/campaigns</c> both build one.</summary>
/// <param name="ControlShare">The held-out share, a fraction (0.1 = 10%).</param>
/// <param name="Seed">Fixes the split; without it a random seed is drawn and stored with the campaign.</param>
/// <param name="SentAt">When the mailing goes (or went) out; default the creation time.</param>
public sealed record CampaignRequest(
    string? Name,
    string? Segment,
    bool MarketableOnly = false,
    double ControlShare = CampaignRules.DefaultControlShare,
    long? Seed = null,
    DateTimeOffset? SentAt = null);

/// <summary>The checks on a <see cref="CampaignRequest"/>, one place for both doors; each error names its field.</summary>
public static partial class CampaignRules
{
    public const double DefaultControlShare = 0.1;
    public const double MinControlShare = 0.01;
    public const double MaxControlShare = 0.9;
    public const int MaxNameLength = 64;

    /// <summary>URL- and key-safe: the name appears in routes (<c>/api/campaigns/{name}/report</c>) and row keys.</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NamePattern();

    public static IReadOnlyList<FieldError> Check(CampaignRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<FieldError>();
        if (string.IsNullOrEmpty(request.Name))
        {
            errors.Add(new FieldError("name", "is required"));
        }
        else if (request.Name.Length > MaxNameLength || !NamePattern().IsMatch(request.Name))
        {
            errors.Add(new FieldError("name", $"must be 1-{MaxNameLength} letters, digits, '.', '_' or '-', starting with a letter or digit"));
        }

        if (string.IsNullOrEmpty(request.Segment))
        {
            errors.Add(new FieldError("segment", "is required: " + SegmentList()));
        }
        else if (RfmSegmentTable.FromSlug(request.Segment) is null)
        {
            errors.Add(new FieldError("segment", $"is not a segment; segments: {SegmentList()}"));
        }

        if (!(request.ControlShare >= MinControlShare && request.ControlShare <= MaxControlShare))
        {
            errors.Add(new FieldError("controlShare", $"must be from {MinControlShare} to {MaxControlShare} (a fraction: 0.1 holds out 10%)"));
        }

        return errors;
    }

    public static string SegmentList() => string.Join(", ", RfmSegmentTable.Slugs);
}
