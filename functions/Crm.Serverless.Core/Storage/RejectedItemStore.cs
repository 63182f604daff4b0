using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;

namespace Crm.Serverless.Core.Storage;

/// <summary>An item that could not be stored, kept with its reason so nothing is dropped silently.</summary>
public sealed record RejectedItem(
    string Source,
    string Kind,
    string Reference,
    int Index,
    string? CustomerId,
    IngestStatus Status,
    IReadOnlyList<FieldError> Errors,
    string? Payload);

/// <summary>
/// The Rejected table. Keys follow the Customers table (<see cref="CrmKeys"/>) when the item names a valid
/// customer, so erasing a customer finds their rejected items too; the rest go to one "unattributed" partition.
/// Row keys are derived from the message and item, so a redelivered message rewrites, never duplicates, them.
/// </summary>
public sealed class RejectedItemStore(CrmTables tables, TimeProvider clock)
{
    public const string UnattributedPartition = "unattributed";
    public const int MaxPayloadChars = 16_000;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task RecordAsync(IReadOnlyList<RejectedItem> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var now = clock.GetUtcNow();
        foreach (var partition in items.Select(item => ToEntity(item, now)).GroupBy(entity => entity.PartitionKey, StringComparer.Ordinal))
        {
            foreach (var chunk in partition.DistinctBy(entity => entity.RowKey, StringComparer.Ordinal).Chunk(100))
            {
                await tables.Rejected.SubmitTransactionAsync(
                    chunk.Select(entity => new TableTransactionAction(TableTransactionActionType.UpsertReplace, entity)),
                    cancellationToken);
            }
        }
    }

    public async IAsyncEnumerable<TableEntity> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.Rejected, filter: null, select: null, cancellationToken))
        {
            yield return row;
        }
    }

    /// <summary>
    /// Unattributed records (a message that was not JSON, had no type, or was refused whole) that mention the
    /// customer in their payload: they hold the customer's data too, so erasure and the access export include them.
    /// One partition, read in pages and matched here, because Table Storage cannot filter on a substring.
    /// </summary>
    public async IAsyncEnumerable<TableEntity> UnattributedMentioningAsync(string customerId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in tables.Scanner.PartitionAsync(tables.Rejected, UnattributedPartition, select: null, cancellationToken))
        {
            if (Mentions(row.GetString("Payload"), customerId))
            {
                yield return row;
            }
        }
    }

    /// <summary>
    /// Whether a payload names the id as a JSON string, raw or escaped. Matching the quoted form keeps "c1" from
    /// matching "c10"; a payload that is not JSON at all is matched on the bare id, erring towards erasure.
    /// </summary>
    public static bool Mentions(string? payload, string customerId)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        if (payload is null)
        {
            return false;
        }

        var quoted = "\"" + customerId + "\"";
        var escaped = JsonSerializer.Serialize(customerId);
        var isJson = payload.TrimStart().StartsWith('{') || payload.TrimStart().StartsWith('[');
        return payload.Contains(quoted, StringComparison.Ordinal)
            || payload.Contains(escaped, StringComparison.Ordinal)
            || (!isJson && payload.Contains(customerId, StringComparison.Ordinal));
    }

    public static RejectedRecord ToRecord(TableEntity row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return new RejectedRecord(
            row.GetString("Source"),
            row.GetString("Kind"),
            row.GetString("Reference"),
            row.GetString("Status"),
            row.GetString("Reason"),
            row.GetString("Payload"),
            row.GetDateTimeOffset("RejectedAt"));
    }

    private static TableEntity ToEntity(RejectedItem item, DateTimeOffset now)
    {
        var attributed = item.CustomerId is { } id && Validation.KeyRules.CheckId(id, isCustomerId: true) is null;
        var partition = attributed ? CrmKeys.PartitionOf(item.CustomerId!) : UnattributedPartition;
        var owner = attributed ? item.CustomerId! : "";
        var reference = Sanitize(item.Reference);
        var rowKey = string.Create(CultureInfo.InvariantCulture, $"{owner}{CrmKeys.Separator}{item.Source}{CrmKeys.Separator}{reference}{CrmKeys.Separator}{item.Index:D4}");
        var payload = item.Payload is { Length: > MaxPayloadChars } text ? text[..MaxPayloadChars] : item.Payload;
        return new TableEntity(partition, rowKey)
        {
            ["Source"] = item.Source,
            ["Kind"] = item.Kind,
            ["Reference"] = item.Reference.Length > 256 ? item.Reference[..256] : item.Reference,
            ["ItemIndex"] = item.Index,
            ["CustomerId"] = attributed ? item.CustomerId : null,
            ["Status"] = item.Status.ToString(),
            ["Reason"] = Cap(item.Errors.Count == 0 ? item.Status.ToString() : string.Join("; ", item.Errors.Select(e => $"{e.Field}: {e.Message}"))),
            ["ErrorsJson"] = ErrorsJson(item.Errors),
            ["Payload"] = payload,
            ["RejectedAt"] = now,
        };
    }

    /// <summary>
    /// Field names can echo the caller's property names (an attributes key, say) and an item can have thousands of
    /// errors: keep the record within what a Table property holds (32K characters) so recording it cannot fail.
    /// </summary>
    private static string Cap(string text) => text.Length > MaxPayloadChars ? text[..MaxPayloadChars] + "..." : text;

    private static string ErrorsJson(IReadOnlyList<FieldError> errors)
    {
        var kept = errors.Take(MaxErrors).Select(e => new FieldError(Cap(e.Field, 256), Cap(e.Message, 512))).ToList();
        return JsonSerializer.Serialize(kept, Json);
    }

    private const int MaxErrors = 20;

    private static string Cap(string text, int length) => text.Length > length ? text[..length] + "..." : text;

    /// <summary>References become key parts; keep only characters keys allow.</summary>
    private static string Sanitize(string reference)
    {
        var clean = new string([.. reference.Where(c => !char.IsControl(c) && c is not ('/' or '\\' or '#' or '?'))]);
        return clean.Length > 200 ? clean[..200] : clean;
    }
}
