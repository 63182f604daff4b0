using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;

namespace Crm.Serverless.Reporting;

/// <summary>
/// Turns a rejected row into reasons that are safe to print: the field path without item indices or attribute keys
/// (keys are the shop's own words) and the rule's fixed message. The payload is never read.
/// </summary>
public static partial class RejectionReasons
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEnumerable<(string Kind, string Status, string Field, string Message)> Of(TableEntity row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var kind = row.GetString("Kind") ?? "unknown";
        var status = row.GetString("Status") ?? "Rejected";
        var errors = row.GetString("ErrorsJson") is { Length: > 0 } json
            ? JsonSerializer.Deserialize<List<FieldError>>(json, Json) ?? []
            : [];
        if (errors.Count == 0)
        {
            yield return (kind, status, "", "");
            yield break;
        }

        foreach (var error in errors.DistinctBy(e => (NormaliseField(e.Field), e.Message)))
        {
            yield return (kind, status, NormaliseField(error.Field), error.Message);
        }
    }

    public static string NormaliseField(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        var withoutIndices = Index().Replace(field, "[]").TrimStart('[', ']', '.');
        var attributes = withoutIndices.IndexOf("attributes.", StringComparison.Ordinal);
        return attributes >= 0 ? withoutIndices[..attributes] + "attributes.*" : withoutIndices;
    }

    [GeneratedRegex(@"\[\d+\]")]
    private static partial Regex Index();
}
