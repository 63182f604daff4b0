using System.Text.Encodings.Web;
using System.Text.Json;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;

namespace Crm.Serverless.Core.Storage;

/// <summary>Between domain records and table rows, in one place, including how aggregates move with a purchase.</summary>
public static class EntityMapper
{
    /// <summary>
    /// Stored JSON escapes only what JSON requires, not every non-ASCII character as <c>\uXXXX</c> (6 characters
    /// each), so a value takes about its own length in a 32K-character Table property. Characters outside the
    /// Basic Multilingual Plane and unassigned ones are still escaped, which <see cref="StoredLength"/> accounts for.
    /// </summary>
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A Table Storage string property holds at most 64 KiB, i.e. 32,768 UTF-16 characters; keep a margin.</summary>
    public const int MaxStoredJsonChars = 32_000;

    public static string? AttributesJson(IReadOnlyDictionary<string, string> attributes)
        => attributes.Count == 0 ? null : JsonSerializer.Serialize(new SortedDictionary<string, string>(attributes.ToDictionary(), StringComparer.Ordinal), Json);

    /// <summary>Lines without a category or cost are stored as they were before those fields existed.</summary>
    private static readonly JsonSerializerOptions ItemJson = new(Json) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public static string? ItemsJson(IReadOnlyList<LineItem> items) => items.Count == 0 ? null : JsonSerializer.Serialize(items, ItemJson);

    /// <summary>Units refunded per sku, in sku order; null when none.</summary>
    public static string? RefundedItemsJson(IReadOnlyDictionary<string, int> refunded)
        => refunded.Count == 0 ? null : JsonSerializer.Serialize(new SortedDictionary<string, int>(refunded.ToDictionary(), StringComparer.Ordinal), Json);

    public static Dictionary<string, int> ReadRefundedItems(string? json)
        => json is null ? new(StringComparer.Ordinal) : new(JsonSerializer.Deserialize<Dictionary<string, int>>(json, Json)!, StringComparer.Ordinal);

    /// <summary>How many characters a JSON column takes as stored, to refuse what a Table property cannot hold.</summary>
    public static int StoredLength(string? json) => json?.Length ?? 0;

    /// <param name="reportingCurrency">
    /// The store's currency. A purchase in another currency is stored at its converted amount (what aggregates,
    /// models and CLV add up), with the amount and currency it was sent in beside it.
    /// </param>
    public static TransactionEntity ToEntity(Transaction transaction, string hash, string source, DateTimeOffset receivedAt, string? reportingCurrency = null)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        // A cancel carries no money: it is stored in the store's currency whatever it named.
        var isCancel = transaction.Kind == TransactionKind.Cancel;
        var converted = !isCancel && reportingCurrency is not null && !string.Equals(transaction.Currency, reportingCurrency, StringComparison.Ordinal);
        if (converted && transaction.AmountInReportingCurrency is null)
        {
            throw new ArgumentException($"A purchase in {transaction.Currency} needs amountInReportingCurrency to be stored in a {reportingCurrency} store.", nameof(transaction));
        }

        return new TransactionEntity
        {
            PartitionKey = CrmKeys.PartitionOf(transaction.CustomerId),
            RowKey = CrmKeys.TransactionRow(transaction.CustomerId, transaction.TransactionId),
            CustomerId = transaction.CustomerId,
            TransactionId = transaction.TransactionId,
            PurchasedAt = transaction.Timestamp.ToUniversalTime(),
            AmountScaled = Money.ToScaled(converted ? transaction.AmountInReportingCurrency!.Value : transaction.Amount),
            Currency = converted || isCancel ? reportingCurrency ?? transaction.Currency : transaction.Currency,
            Quantity = transaction.Quantity,
            ItemsJson = ItemsJson(transaction.Items),
            PayloadHash = hash,
            Source = source,
            ReceivedAt = receivedAt,
            OriginalAmountScaled = converted ? Money.ToScaled(transaction.Amount) : null,
            OriginalCurrency = converted ? transaction.Currency : null,
            Kind = transaction.Kind == TransactionKind.Purchase ? null : transaction.Kind.Name(),
            RefersTo = transaction.RefersTo,
            DiscountScaled = transaction.DiscountAmount is { } discount ? Money.ToScaled(discount) : null,
            CouponCode = transaction.CouponCode,
            CampaignId = transaction.CampaignId,
        };
    }

    /// <summary>A transaction row as the writer needs it: to find a refund's purchase and recount the aggregates.</summary>
    public static TransactionEntity ToTransaction(TableEntity row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return new TransactionEntity
        {
            PartitionKey = row.PartitionKey,
            RowKey = row.RowKey,
            ETag = row.ETag,
            CustomerId = row.GetString(nameof(TransactionEntity.CustomerId)) ?? CrmKeys.CustomerIdOf(row.RowKey),
            TransactionId = row.GetString(nameof(TransactionEntity.TransactionId)) ?? row.RowKey[(row.RowKey.IndexOf(CrmKeys.Separator, StringComparison.Ordinal) + 1)..],
            PurchasedAt = row.GetDateTimeOffset(nameof(TransactionEntity.PurchasedAt)) ?? default,
            AmountScaled = row.GetInt64(nameof(TransactionEntity.AmountScaled)) ?? 0,
            Currency = row.GetString(nameof(TransactionEntity.Currency)) ?? "",
            Quantity = row.GetInt32(nameof(TransactionEntity.Quantity)),
            ItemsJson = row.GetString(nameof(TransactionEntity.ItemsJson)),
            PayloadHash = row.GetString(nameof(TransactionEntity.PayloadHash)) ?? "",
            Source = row.GetString(nameof(TransactionEntity.Source)) ?? "",
            ReceivedAt = row.GetDateTimeOffset(nameof(TransactionEntity.ReceivedAt)) ?? default,
            Kind = row.GetString(nameof(TransactionEntity.Kind)),
            RefersTo = row.GetString(nameof(TransactionEntity.RefersTo)),
            RefundedScaled = row.GetInt64(nameof(TransactionEntity.RefundedScaled)) ?? 0,
            Cancelled = row.GetBoolean(nameof(TransactionEntity.Cancelled)) ?? false,

            // A refund or cancel rewrites its purchase row whole: what the purchase was sent in must survive that.
            OriginalAmountScaled = row.GetInt64(nameof(TransactionEntity.OriginalAmountScaled)),
            OriginalCurrency = row.GetString(nameof(TransactionEntity.OriginalCurrency)),
            DiscountScaled = row.GetInt64(nameof(TransactionEntity.DiscountScaled)),
            CouponCode = row.GetString(nameof(TransactionEntity.CouponCode)),
            CampaignId = row.GetString(nameof(TransactionEntity.CampaignId)),
            RefundedItemsJson = row.GetString(nameof(TransactionEntity.RefundedItemsJson)),
            LinesAttached = row.GetBoolean(nameof(TransactionEntity.LinesAttached)) ?? false,
        };
    }

    /// <summary>
    /// The aggregates from the customer's purchase rows, after a refund or cancel changed one of them: net and
    /// gross spend, the count and first and last of the purchases that still stand.
    /// </summary>
    public static void Recount(CustomerEntity customer, IEnumerable<TransactionEntity> rows)
    {
        ArgumentNullException.ThrowIfNull(customer);
        ArgumentNullException.ThrowIfNull(rows);
        customer.PurchaseCount = 0;
        customer.TotalAmountScaled = 0;
        customer.GrossAmountScaled = 0;
        customer.RefundedAmountScaled = 0;
        customer.FirstPurchaseAt = null;
        customer.LastPurchaseAt = null;
        customer.LastTransactionId = null;
        customer.LastAmountScaled = 0;
        customer.LastQuantity = null;
        customer.LastItemsJson = null;
        customer.LastDiscountScaled = null;
        customer.LastCouponCode = null;
        customer.LastCampaignId = null;
        foreach (var row in rows)
        {
            if (!row.IsPurchase || row.Cancelled)
            {
                continue;
            }

            customer.GrossAmountScaled += row.AmountScaled;
            customer.RefundedAmountScaled += row.RefundedScaled;
            customer.TotalAmountScaled += row.AmountScaled - row.RefundedScaled;
            if (row.Stands)
            {
                Count(customer, row);
            }
        }
    }

    public static CustomerEntity NewCustomer(string customerId) => new()
    {
        PartitionKey = CrmKeys.PartitionOf(customerId),
        RowKey = CrmKeys.CustomerRow(customerId),
        CustomerId = customerId,
    };

    /// <summary>
    /// Adds one purchase to the aggregates. "Last" is the latest by time, ties broken by transaction id, so the
    /// result does not depend on the order purchases arrived in and always equals a recount.
    /// </summary>
    public static void ApplyPurchase(CustomerEntity customer, TransactionEntity purchase)
    {
        ArgumentNullException.ThrowIfNull(customer);
        ArgumentNullException.ThrowIfNull(purchase);
        customer.GrossAmountScaled += purchase.AmountScaled;
        customer.TotalAmountScaled += purchase.AmountScaled;
        Count(customer, purchase);
    }

    private static void Count(CustomerEntity customer, TransactionEntity purchase)
    {
        customer.PurchaseCount++;
        if (customer.FirstPurchaseAt is null || purchase.PurchasedAt < customer.FirstPurchaseAt)
        {
            customer.FirstPurchaseAt = purchase.PurchasedAt;
        }

        var isLatest = customer.LastPurchaseAt is not { } last
            || purchase.PurchasedAt > last
            || (purchase.PurchasedAt == last && string.CompareOrdinal(purchase.TransactionId, customer.LastTransactionId) > 0);
        if (isLatest)
        {
            customer.LastPurchaseAt = purchase.PurchasedAt;
            customer.LastTransactionId = purchase.TransactionId;
            customer.LastAmountScaled = purchase.AmountScaled;
            customer.LastQuantity = purchase.Quantity;
            customer.LastItemsJson = purchase.ItemsJson;
            customer.LastDiscountScaled = purchase.DiscountScaled;
            customer.LastCouponCode = purchase.CouponCode;
            customer.LastCampaignId = purchase.CampaignId;
        }
    }

    /// <summary>
    /// Merges a contact into the customer row field by field, last writer wins by <paramref name="updatedAt"/>:
    /// a field the contact includes takes its value (null clears it) when the update is newer than the field's
    /// stamp; ties and older updates keep what is stored. A newer update with an equal value still moves the stamp,
    /// so out-of-order updates converge on the same record whatever order they arrive in.
    /// </summary>
    public static ContactMerge MergeContact(CustomerEntity customer, Contact contact, DateTimeOffset updatedAt, string hash)
    {
        ArgumentNullException.ThrowIfNull(customer);
        ArgumentNullException.ThrowIfNull(contact);
        var isNew = !customer.HasContact;
        var stamps = customer.ContactStampsJson is null ? new SortedDictionary<string, long>(StringComparer.Ordinal) : JsonSerializer.Deserialize<SortedDictionary<string, long>>(customer.ContactStampsJson, Json)!;
        var ticks = updatedAt.UtcTicks;
        var previousConsent = customer.MarketingConsent;
        bool changed = false, lost = false, dirty = false;
        foreach (var field in ContactField.All)
        {
            if (!contact.Has(field))
            {
                continue;
            }

            var same = SameValue(customer, contact, field);
            if (ticks > stamps.GetValueOrDefault(field, long.MinValue))
            {
                Set(customer, contact, field);
                stamps[field] = ticks;
                dirty = true;
                changed |= !same;
            }
            else
            {
                lost |= !same;
            }
        }

        if (isNew)
        {
            customer.HasContact = true;
            dirty = true;
        }

        if (!dirty)
        {
            return new ContactMerge(lost ? IngestStatus.Stale : IngestStatus.Duplicate, false, null);
        }

        customer.ContactStampsJson = JsonSerializer.Serialize(stamps, Json);
        customer.ContactHash = hash;
        var consent = customer.MarketingConsent != previousConsent
            ? new ConsentChange(previousConsent, customer.MarketingConsent, updatedAt)
            : null;
        var status = isNew ? IngestStatus.Accepted : changed ? IngestStatus.Updated : lost ? IngestStatus.Stale : IngestStatus.Duplicate;
        return new ContactMerge(status, true, consent);
    }

    private static bool SameValue(CustomerEntity customer, Contact contact, string field) => field switch
    {
        ContactField.Email => customer.Email == contact.Email,
        ContactField.FirstName => customer.FirstName == contact.FirstName,
        ContactField.LastName => customer.LastName == contact.LastName,
        ContactField.Country => customer.Country == contact.Country,
        ContactField.CreatedAt => customer.ContactCreatedAt?.UtcTicks == contact.CreatedAt?.UtcTicks,
        ContactField.MarketingConsent => customer.MarketingConsent == contact.MarketingConsent,
        _ => customer.AttributesJson == AttributesJson(contact.Attributes),
    };

    private static void Set(CustomerEntity customer, Contact contact, string field)
    {
        switch (field)
        {
            case ContactField.Email: customer.Email = contact.Email; break;
            case ContactField.FirstName: customer.FirstName = contact.FirstName; break;
            case ContactField.LastName: customer.LastName = contact.LastName; break;
            case ContactField.Country: customer.Country = contact.Country; break;
            case ContactField.CreatedAt: customer.ContactCreatedAt = contact.CreatedAt?.ToUniversalTime(); break;
            case ContactField.MarketingConsent: customer.MarketingConsent = contact.MarketingConsent; break;
            default: customer.AttributesJson = AttributesJson(contact.Attributes); break;
        }
    }

    /// <summary>Reads a customer row from a query over mixed rows (customer and purchase rows share a range).</summary>
    public static CustomerEntity ToCustomer(TableEntity row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return new CustomerEntity
        {
            PartitionKey = row.PartitionKey,
            RowKey = row.RowKey,
            Timestamp = row.Timestamp,
            ETag = row.ETag,
            CustomerId = row.GetString(nameof(CustomerEntity.CustomerId)) ?? CrmKeys.CustomerIdOf(row.RowKey),
            HasContact = row.GetBoolean(nameof(CustomerEntity.HasContact)) ?? false,
            Email = row.GetString(nameof(CustomerEntity.Email)),
            FirstName = row.GetString(nameof(CustomerEntity.FirstName)),
            LastName = row.GetString(nameof(CustomerEntity.LastName)),
            Country = row.GetString(nameof(CustomerEntity.Country)),
            ContactCreatedAt = row.GetDateTimeOffset(nameof(CustomerEntity.ContactCreatedAt)),
            MarketingConsent = row.GetBoolean(nameof(CustomerEntity.MarketingConsent)),
            AttributesJson = row.GetString(nameof(CustomerEntity.AttributesJson)),
            ContactHash = row.GetString(nameof(CustomerEntity.ContactHash)),
            ContactStampsJson = row.GetString(nameof(CustomerEntity.ContactStampsJson)),
            PurchaseCount = row.GetInt32(nameof(CustomerEntity.PurchaseCount)) ?? 0,
            TotalAmountScaled = row.GetInt64(nameof(CustomerEntity.TotalAmountScaled)) ?? 0,

            // Rows written before refunds existed have no gross: it was the total.
            GrossAmountScaled = row.GetInt64(nameof(CustomerEntity.GrossAmountScaled)) ?? row.GetInt64(nameof(CustomerEntity.TotalAmountScaled)) ?? 0,
            RefundedAmountScaled = row.GetInt64(nameof(CustomerEntity.RefundedAmountScaled)) ?? 0,
            FirstPurchaseAt = row.GetDateTimeOffset(nameof(CustomerEntity.FirstPurchaseAt)),
            LastPurchaseAt = row.GetDateTimeOffset(nameof(CustomerEntity.LastPurchaseAt)),
            LastTransactionId = row.GetString(nameof(CustomerEntity.LastTransactionId)),
            LastAmountScaled = row.GetInt64(nameof(CustomerEntity.LastAmountScaled)) ?? 0,
            LastQuantity = row.GetInt32(nameof(CustomerEntity.LastQuantity)),
            LastItemsJson = row.GetString(nameof(CustomerEntity.LastItemsJson)),
            LastDiscountScaled = row.GetInt64(nameof(CustomerEntity.LastDiscountScaled)),
            LastCouponCode = row.GetString(nameof(CustomerEntity.LastCouponCode)),
            LastCampaignId = row.GetString(nameof(CustomerEntity.LastCampaignId)),
        };
    }

    /// <summary>A purchase row as the customer sees it in an access export.</summary>
    public static PurchaseRecord ToPurchaseRecord(TableEntity row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var itemsJson = row.GetString(nameof(TransactionEntity.ItemsJson));
        return new PurchaseRecord(
            row.GetString(nameof(TransactionEntity.TransactionId)) ?? row.RowKey[(row.RowKey.IndexOf(CrmKeys.Separator, StringComparison.Ordinal) + 1)..],
            row.GetDateTimeOffset(nameof(TransactionEntity.PurchasedAt)) ?? default,
            Money.FromScaled(row.GetInt64(nameof(TransactionEntity.AmountScaled)) ?? 0),
            row.GetString(nameof(TransactionEntity.Currency)) ?? "",
            row.GetInt32(nameof(TransactionEntity.Quantity)),
            ReadItems(itemsJson),
            row.GetString(nameof(TransactionEntity.Source)),
            row.GetDateTimeOffset(nameof(TransactionEntity.ReceivedAt)),
            row.GetString(nameof(TransactionEntity.Kind)) ?? "purchase",
            row.GetString(nameof(TransactionEntity.RefersTo)),
            Money.FromScaled(row.GetInt64(nameof(TransactionEntity.RefundedScaled)) ?? 0),
            row.GetBoolean(nameof(TransactionEntity.Cancelled)) ?? false,
            row.GetInt64(nameof(TransactionEntity.DiscountScaled)) is { } discount ? Money.FromScaled(discount) : null,
            row.GetString(nameof(TransactionEntity.CouponCode)),
            row.GetString(nameof(TransactionEntity.CampaignId)),
            row.GetString(nameof(TransactionEntity.RefundedItemsJson)) is { } refunded ? ReadRefundedItems(refunded) : null);
    }

    public static CustomerView ToView(CustomerEntity customer, string currency, CustomerScore? scores = null)
    {
        ArgumentNullException.ThrowIfNull(customer);
        var contact = customer.HasContact
            ? new ContactView(
                customer.Email,
                customer.FirstName,
                customer.LastName,
                customer.Country,
                customer.ContactCreatedAt,
                customer.MarketingConsent,
                customer.AttributesJson is null ? new Dictionary<string, string>() : JsonSerializer.Deserialize<Dictionary<string, string>>(customer.AttributesJson, Json)!,
                Stamp(customer.ContactStampsJson))
            : null;
        var total = Money.FromScaled(customer.TotalAmountScaled);
        var last = customer.LastTransactionId is null || customer.LastPurchaseAt is null
            ? null
            : new LastPurchase(
                customer.LastTransactionId,
                customer.LastPurchaseAt.Value,
                Money.FromScaled(customer.LastAmountScaled),
                customer.LastQuantity,
                ReadItems(customer.LastItemsJson),
                customer.LastDiscountScaled is { } discount ? Money.FromScaled(discount) : null,
                customer.LastCouponCode,
                customer.LastCampaignId);
        var purchases = new PurchaseSummary(
            customer.PurchaseCount,
            total,
            customer.PurchaseCount == 0 ? null : decimal.Round(total / customer.PurchaseCount, Money.Scale),
            currency,
            customer.FirstPurchaseAt,
            last,
            Money.FromScaled(customer.GrossAmountScaled),
            Money.FromScaled(customer.RefundedAmountScaled));
        return new CustomerView(customer.CustomerId, contact, purchases, scores);
    }

    public static IReadOnlyList<LineItem> ReadItems(string? itemsJson)
        => itemsJson is null ? [] : JsonSerializer.Deserialize<List<LineItem>>(itemsJson, Json)!;

    /// <summary>The newest of the per-field stamps: when the contact last changed.</summary>
    private static DateTimeOffset? Stamp(string? stampsJson)
        => stampsJson is null || JsonSerializer.Deserialize<Dictionary<string, long>>(stampsJson, Json) is not { Count: > 0 } stamps
            ? null
            : new DateTimeOffset(stamps.Values.Max(), TimeSpan.Zero);
}

/// <summary>What merging a contact did: the item's status, whether the row must be written, and any consent change.</summary>
public sealed record ContactMerge(IngestStatus Status, bool Dirty, ConsentChange? Consent);

public sealed record ConsentChange(bool? Previous, bool? Value, DateTimeOffset ChangedAt);
