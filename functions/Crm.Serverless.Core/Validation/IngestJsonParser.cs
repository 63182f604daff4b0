using System.Text.Json;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Validation;

/// <summary>One item of a request or message: the value when it is valid, otherwise every error found.</summary>
public sealed record ParsedItem<T>(int Index, T? Value, string? CustomerId, string? Id, IReadOnlyList<FieldError> Errors)
    where T : class;

/// <summary>A whole body: either a body-level error (not JSON, too many items) or the items, each valid or not.</summary>
public sealed record ParsedBody<T>(bool IsBatch, IReadOnlyList<ParsedItem<T>> Items, FieldError? BodyError, bool TooLarge = false)
    where T : class;

/// <summary>
/// Turns JSON (one object or an array of objects) into contacts or transactions. Shape and type problems are
/// found here; what a valid value is lives in <see cref="TransactionRules"/> and <see cref="ContactRules"/>.
/// </summary>
public sealed class IngestJsonParser(TransactionRules transactionRules, ContactRules contactRules, IOptions<IngestOptions> options)
{
    public const int MaxDepth = 16;

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = MaxDepth,
        AllowDuplicateProperties = false,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    public ParsedBody<Transaction> ParseTransactions(ReadOnlyMemory<byte> json) => Parse(json, ReadTransaction);

    public ParsedBody<Contact> ParseContacts(ReadOnlyMemory<byte> json) => Parse(json, ReadContact);

    public ParsedBody<Transaction> ParseTransactions(JsonElement element) => Parse(element, ReadTransaction);

    public ParsedBody<Contact> ParseContacts(JsonElement element) => Parse(element, ReadContact);

    private ParsedBody<T> Parse<T>(ReadOnlyMemory<byte> json, Func<JsonElement, int, string, ParsedItem<T>> read)
        where T : class
    {
        try
        {
            using var document = JsonDocument.Parse(json, DocumentOptions);
            return Parse(document.RootElement, read);
        }
        catch (JsonException exception)
        {
            return new ParsedBody<T>(false, [], new FieldError("body", "is not valid JSON: " + DescribeJsonError(exception)));
        }
        catch (InvalidOperationException)
        {
            // The duplicate-property check decodes every property name while parsing; a lone surrogate escape in
            // one throws this rather than a JsonException.
            return new ParsedBody<T>(false, [], new FieldError("body", "has a property name that " + JsonText.InvalidMessage));
        }
    }

    private ParsedBody<T> Parse<T>(JsonElement root, Func<JsonElement, int, string, ParsedItem<T>> read)
        where T : class
    {
        if (root.ValueKind == JsonValueKind.Object)
        {
            return new ParsedBody<T>(false, [read(root, 0, "")], null);
        }

        if (root.ValueKind != JsonValueKind.Array)
        {
            return new ParsedBody<T>(false, [], new FieldError("body", "must be a JSON object or an array of objects"));
        }

        var count = root.GetArrayLength();
        var max = options.Value.MaxBatchItems;
        if (count > max)
        {
            return new ParsedBody<T>(true, [], new FieldError("body", $"has {count} items; a batch may hold at most {max}"), TooLarge: true);
        }

        if (count == 0)
        {
            return new ParsedBody<T>(true, [], new FieldError("body", "must hold at least one item"));
        }

        var items = new List<ParsedItem<T>>(count);
        var index = 0;
        foreach (var element in root.EnumerateArray())
        {
            items.Add(read(element, index, $"[{index}]."));
            index++;
        }

        return new ParsedBody<T>(true, items, null);
    }

    private ParsedItem<Transaction> ReadTransaction(JsonElement element, int index, string prefix)
    {
        var errors = new List<FieldError>();
        if (element.ValueKind != JsonValueKind.Object)
        {
            return new ParsedItem<Transaction>(index, null, null, null, [new FieldError(prefix.TrimEnd('.').Length == 0 ? "body" : prefix.TrimEnd('.'), "must be a JSON object")]);
        }

        // Text that cannot be decoded would throw wherever it is read; refuse the item before reading any of it.
        if (JsonText.FindInvalid(element, prefix) is { } invalid)
        {
            return new ParsedItem<Transaction>(index, null, null, null, [invalid]);
        }

        var reader = new JsonFieldReader(element, prefix, errors);
        var transactionId = reader.RequiredString("transactionId");
        var customerId = reader.RequiredString("customerId");
        var timestamp = reader.Timestamp("timestamp", required: true);
        var (kind, refersTo) = ReadKind(reader, errors);

        // A cancel undoes a whole purchase: it needs neither an amount nor a currency.
        var amount = kind == TransactionKind.Cancel ? reader.OptionalDecimal("amount") ?? 0 : reader.RequiredDecimal("amount");
        var currency = kind == TransactionKind.Cancel ? reader.OptionalString("currency") : reader.RequiredString("currency");
        var quantity = reader.OptionalInt("quantity");
        var inReportingCurrency = reader.OptionalDecimal("amountInReportingCurrency");
        var items = new List<LineItem>();
        if (reader.TryGetArray("items", out var array))
        {
            var i = 0;
            foreach (var line in array.EnumerateArray())
            {
                var linePrefix = $"{prefix}items[{i}].";
                if (line.ValueKind != JsonValueKind.Object)
                {
                    errors.Add(new FieldError($"{prefix}items[{i}]", "must be an object"));
                }
                else
                {
                    var lineReader = new JsonFieldReader(line, linePrefix, errors);
                    // A refund's line names what is given back; its price is the purchase's.
                    items.Add(new LineItem(
                        lineReader.RequiredString("sku") ?? Placeholder.Id,
                        lineReader.RequiredInt("quantity") ?? 1,
                        (kind == TransactionKind.Refund ? lineReader.OptionalDecimal("price") : lineReader.RequiredDecimal("price")) ?? 0,
                        lineReader.OptionalString("category"),
                        lineReader.OptionalDecimal("unitCost")));
                }

                i++;
            }
        }

        // Fields that failed to parse get harmless stand-ins so the rules still check every other field:
        // the caller learns everything that is wrong with the item in one answer.
        var transaction = new Transaction(
            transactionId ?? Placeholder.Id,
            customerId ?? Placeholder.Id,
            timestamp ?? Placeholder.Timestamp,
            amount ?? 0,
            currency ?? (kind == TransactionKind.Cancel ? "" : Placeholder.Currency),
            quantity,
            items,
            inReportingCurrency,
            kind,
            refersTo,
            reader.OptionalDecimal("discountAmount"),
            reader.OptionalString("couponCode"),
            reader.OptionalString("campaignId"));
        ApplyRules(errors, ruleErrors => transactionRules.Validate(transaction, prefix, ruleErrors));
        return new ParsedItem<Transaction>(index, errors.Count == 0 ? transaction : null, customerId, transactionId, errors);
    }

    private ParsedItem<Contact> ReadContact(JsonElement element, int index, string prefix)
    {
        var errors = new List<FieldError>();
        if (element.ValueKind != JsonValueKind.Object)
        {
            return new ParsedItem<Contact>(index, null, null, null, [new FieldError(prefix.TrimEnd('.').Length == 0 ? "body" : prefix.TrimEnd('.'), "must be a JSON object")]);
        }

        // Text that cannot be decoded would throw wherever it is read; refuse the item before reading any of it.
        if (JsonText.FindInvalid(element, prefix) is { } invalid)
        {
            return new ParsedItem<Contact>(index, null, null, null, [invalid]);
        }

        var reader = new JsonFieldReader(element, prefix, errors);
        var customerId = reader.RequiredString("customerId");
        var email = reader.OptionalString("email");
        var firstName = reader.OptionalString("firstName");
        var lastName = reader.OptionalString("lastName");
        var country = reader.OptionalString("country");
        var createdAt = reader.Timestamp("createdAt", required: false);
        var consent = reader.OptionalBool("marketingConsent");
        var updatedAt = reader.Timestamp("updatedAt", required: false);
        var fields = ContactField.All.Where(reader.Has).ToHashSet(StringComparer.Ordinal);
        var attributes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (reader.TryGetObject("attributes", out var obj))
        {
            foreach (var property in obj.EnumerateObject())
            {
                var value = property.Value;
                switch (value.ValueKind)
                {
                    case JsonValueKind.String:
                        attributes[property.Name] = value.GetString()!;
                        break;
                    case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                        attributes[property.Name] = value.GetRawText();
                        break;
                    default:
                        errors.Add(new FieldError($"{prefix}attributes.{property.Name}", "must be a string, number or boolean"));
                        break;
                }
            }
        }

        var contact = new Contact(customerId ?? Placeholder.Id, email, firstName, lastName, country, createdAt, consent, attributes, updatedAt, fields);
        ApplyRules(errors, ruleErrors => contactRules.Validate(contact, prefix, ruleErrors));
        return new ParsedItem<Contact>(index, errors.Count == 0 ? contact : null, customerId, customerId, errors);
    }

    /// <summary>The optional <c>kind</c> (default purchase) and <c>refersTo</c>.</summary>
    private static (TransactionKind Kind, string? RefersTo) ReadKind(JsonFieldReader reader, List<FieldError> errors)
    {
        var kind = TransactionKind.Purchase;
        if (reader.OptionalString("kind") is { } text && !TransactionKinds.TryParse(text, out kind))
        {
            errors.Add(new FieldError(reader.Field("kind"), TransactionKinds.Expected));
        }

        return (kind, reader.OptionalString("refersTo"));
    }

    /// <summary>Adds rule errors except on fields that already failed to parse (their values are stand-ins).</summary>
    private static void ApplyRules(List<FieldError> errors, Action<List<FieldError>> validate)
    {
        var ruleErrors = new List<FieldError>();
        validate(ruleErrors);
        var failed = errors.Select(e => e.Field).ToHashSet(StringComparer.Ordinal);
        errors.AddRange(ruleErrors.Where(e => !failed.Contains(e.Field)));
    }

    private static class Placeholder
    {
        public const string Id = "placeholder";

        /// <summary>A known code, so a missing currency is reported once ("is required"), not also as unknown.</summary>
        public const string Currency = "USD";
        public static readonly DateTimeOffset Timestamp = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }

    private static string DescribeJsonError(JsonException exception)
        => exception.LineNumber is { } line
            ? $"syntax error at line {line + 1}, position {exception.BytePositionInLine + 1}"
            : "syntax error";
}
