using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Ingestion;

/// <summary>What one queue message came to.</summary>
public sealed record QueueIngestResult(int Accepted, int Duplicates, int Conflicts, int Rejected, int Updated = 0, int Stale = 0);

/// <summary>
/// Thrown so the host redelivers a message: a refund or cancel in it names a purchase not stored yet (it may be on
/// its way through the queue). Everything else in the message is stored already; the redelivery finds it as
/// duplicates. No customer data in the message: it is logged.
/// </summary>
public sealed class PurchaseNotYetStoredException(int items, long dequeueCount)
    : Exception($"{items} refund or cancel item(s) name a purchase that is not stored yet; delivery {dequeueCount} of the message, retried by the host.");

/// <summary>
/// Handles one ingest queue message: <c>{"type": "transaction" | "contact" | "interaction", "data": {...} | [...]}</c>.
/// Invalid content is recorded in the Rejected table and the message completes: retrying cannot fix it.
/// Storage failures propagate, so the host retries the message and finally moves it to the poison queue.
/// Redelivery is harmless: stored items come back as duplicates and rejected records are rewritten in place.
/// A refund or cancel may overtake its purchase on the queue: the message is then retried by the host (see
/// <see cref="PurchaseNotYetStoredException"/>) and on its last delivery the item goes to the Rejected table.
/// </summary>
public sealed class QueueIngestProcessor(
    IngestJsonParser parser,
    IngestService ingest,
    RejectedItemStore rejected,
    Microsoft.Extensions.Options.IOptions<IngestOptions> options,
    ILogger<QueueIngestProcessor> logger,
    InteractionJsonParser interactionParser,
    InteractionIngestService interactions)
{
    public const string TransactionType = "transaction";
    public const string ContactType = "contact";
    public const string InteractionType = "interaction";
    private const string TypeExpected = $"\"{TransactionType}\", \"{ContactType}\" or \"{InteractionType}\"";

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = IngestJsonParser.MaxDepth, AllowDuplicateProperties = false };

    /// <summary>
    /// A message as it comes off the queue. Bytes that are not valid UTF-8 are refused: decoding would turn them
    /// into U+FFFD silently and store ids the shop never sent (the HTTP door refuses the same bytes with a 400).
    /// </summary>
    public Task<QueueIngestResult> ProcessAsync(ReadOnlyMemory<byte> body, string messageId, CancellationToken cancellationToken)
        => ProcessAsync(body, messageId, options.Value.QueueMaxDequeueCount, cancellationToken);

    /// <param name="dequeueCount">Which delivery of the message this is (the host's count, from 1).</param>
    public Task<QueueIngestResult> ProcessAsync(ReadOnlyMemory<byte> body, string messageId, long dequeueCount, CancellationToken cancellationToken)
    {
        if (!Utf8.IsValid(body.Span))
        {
            return RejectMessageAsync(Encoding.UTF8.GetString(body.Span), messageId, "unknown", new FieldError("message", "is not valid UTF-8"), cancellationToken);
        }

        return ProcessAsync(Encoding.UTF8.GetString(body.Span), messageId, dequeueCount, cancellationToken);
    }

    /// <summary>A message on its last delivery: nothing is retried, a refund without its purchase is rejected.</summary>
    public Task<QueueIngestResult> ProcessAsync(string message, string messageId, CancellationToken cancellationToken)
        => ProcessAsync(message, messageId, options.Value.QueueMaxDequeueCount, cancellationToken);

    public async Task<QueueIngestResult> ProcessAsync(string message, string messageId, long dequeueCount, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message, DocumentOptions);
        }
        catch (JsonException)
        {
            return await RejectMessageAsync(message, messageId, "unknown", new FieldError("message", "is not valid JSON"), cancellationToken);
        }
        catch (InvalidOperationException)
        {
            // Thrown by the duplicate-property check for a property name with a lone surrogate escape.
            return await RejectMessageAsync(message, messageId, "unknown", new FieldError("message", "has a property name that " + JsonText.InvalidMessage), cancellationToken);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("type", out var typeElement)
                || typeElement.ValueKind != JsonValueKind.String)
            {
                return await RejectMessageAsync(message, messageId, "unknown", new FieldError("type", "is required: " + TypeExpected), cancellationToken);
            }

            if (!JsonText.TryGetString(typeElement, out var type))
            {
                return await RejectMessageAsync(message, messageId, "unknown", new FieldError("type", JsonText.InvalidMessage), cancellationToken);
            }

            if (!root.TryGetProperty("data", out var data))
            {
                return await RejectMessageAsync(message, messageId, type ?? "unknown", new FieldError("data", "is required: one item or an array of items"), cancellationToken);
            }

            return type switch
            {
                TransactionType => await IngestAsync(parser.ParseTransactions(data), TransactionType, message, messageId, dequeueCount, ingest.IngestTransactionsAsync, cancellationToken),
                ContactType => await IngestAsync(parser.ParseContacts(data), ContactType, message, messageId, dequeueCount, ingest.IngestContactsAsync, cancellationToken),
                InteractionType => await IngestAsync(interactionParser.Parse(data), InteractionType, message, messageId, dequeueCount, interactions.IngestAsync, cancellationToken),
                _ => await RejectMessageAsync(message, messageId, "unknown", new FieldError("type", "must be " + TypeExpected), cancellationToken),
            };
        }
    }

    private async Task<QueueIngestResult> IngestAsync<T>(
        ParsedBody<T> body,
        string kind,
        string message,
        string messageId,
        long dequeueCount,
        Func<ParsedBody<T>, string, CancellationToken, Task<IReadOnlyList<ItemOutcome>>> store,
        CancellationToken cancellationToken)
        where T : class
    {
        if (body.BodyError is { } bodyError)
        {
            return await RejectMessageAsync(message, messageId, kind, bodyError with { Field = "data" }, cancellationToken);
        }

        var outcomes = await store(body, IngestSource.Queue, cancellationToken);
        var waiting = outcomes.Count(o => o.AwaitsPurchase);
        var failed = outcomes.Where(o => o.Status is IngestStatus.Rejected or IngestStatus.Conflict && (!o.AwaitsPurchase || dequeueCount >= options.Value.QueueMaxDequeueCount)).ToList();
        if (failed.Count > 0)
        {
            await rejected.RecordAsync(
                [.. failed.Select(o => new RejectedItem(IngestSource.Queue, kind, messageId, o.Index, o.CustomerId, o.Status, o.Errors, ItemText(message, body.IsBatch, o.Index)))],
                cancellationToken);
        }

        if (waiting > 0 && dequeueCount < options.Value.QueueMaxDequeueCount)
        {
            throw new PurchaseNotYetStoredException(waiting, dequeueCount);
        }

        var result = new QueueIngestResult(
            outcomes.Count(o => o.Status == IngestStatus.Accepted),
            outcomes.Count(o => o.Status == IngestStatus.Duplicate),
            outcomes.Count(o => o.Status == IngestStatus.Conflict),
            outcomes.Count(o => o.Status == IngestStatus.Rejected),
            outcomes.Count(o => o.Status == IngestStatus.Updated),
            outcomes.Count(o => o.Status == IngestStatus.Stale));
        logger.LogInformation(
            "Queue message {MessageId} ({Kind}): {Accepted} accepted, {Updated} updated, {Duplicates} duplicate, {Stale} stale, {Conflicts} conflicting, {Rejected} rejected",
            messageId, kind, result.Accepted, result.Updated, result.Duplicates, result.Stale, result.Conflicts, result.Rejected);
        return result;
    }

    private async Task<QueueIngestResult> RejectMessageAsync(string message, string messageId, string kind, FieldError error, CancellationToken cancellationToken)
    {
        await rejected.RecordAsync([new RejectedItem(IngestSource.Queue, kind, messageId, 0, null, IngestStatus.Rejected, [error], message)], cancellationToken);
        // The reason stays in the Rejected table: field names can echo caller data (attribute keys), logs must not.
        logger.LogWarning("Queue message {MessageId} ({Kind}) rejected as a whole; see the Rejected table", messageId, kind);
        return new QueueIngestResult(0, 0, 0, 1);
    }

    /// <summary>The item's own JSON, so a rejected record shows what was wrong without the rest of the batch.</summary>
    private static string ItemText(string message, bool isBatch, int index)
    {
        using var document = JsonDocument.Parse(message, DocumentOptions);
        var data = document.RootElement.GetProperty("data");
        var item = isBatch ? data[index] : data;
        return item.GetRawText();
    }
}
