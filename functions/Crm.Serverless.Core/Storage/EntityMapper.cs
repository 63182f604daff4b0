using System.Text.Json;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;

namespace Crm.Serverless.Core.Storage;

/// <summary>Between domain records and table rows, in one place, including how aggregates move with a purchase.</summary>
public static class EntityMapper
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <param name="reportingCurrency">
    /// The store's currency. A purchase in another currency is stored at its converted amount (what aggregates,
    /// models and CLV add up), with the amount and currency it was sent in beside it.
    /// </param>
    public static TransactionEntity ToEntity(Transaction transaction, string hash, string source, DateTimeOffset receivedAt, string? reportingCurrency = null)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var converted = reportingCurrency is not null && !string.Equals(transaction.Currency, reportingCurrency, StringComparison.Ordinal);
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
            Currency = converted ? reportingCurrency! : transaction.Currency,
            Quantity = transaction.Quantity,
            ItemsJson = transaction.Items.Count == 0 ? null : JsonSerializer.Serialize(transaction.Items, Json),
            PayloadHash = hash,
            Source = source,
            ReceivedAt = receivedAt,
            OriginalAmountScaled = converted ? Money.ToScaled(transaction.Amount) : null,
            OriginalCurrency = converted ? transaction.Currency : null,
        };
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
        customer.PurchaseCount++;
        customer.TotalAmountScaled += purchase.AmountScaled;
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
        }
    }

    public static void ApplyContact(CustomerEntity customer, Contact contact, string hash)
    {
        ArgumentNullException.ThrowIfNull(customer);
        ArgumentNullException.ThrowIfNull(contact);
        customer.HasContact = true;
        customer.Email = contact.Email;
        customer.FirstName = contact.FirstName;
        customer.LastName = contact.LastName;
        customer.Country = contact.Country;
        customer.ContactCreatedAt = contact.CreatedAt?.ToUniversalTime();
        customer.MarketingConsent = contact.MarketingConsent;
        customer.AttributesJson = contact.Attributes.Count == 0 ? null : JsonSerializer.Serialize(contact.Attributes, Json);
        customer.ContactHash = hash;
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
            PurchaseCount = row.GetInt32(nameof(CustomerEntity.PurchaseCount)) ?? 0,
            TotalAmountScaled = row.GetInt64(nameof(CustomerEntity.TotalAmountScaled)) ?? 0,
            FirstPurchaseAt = row.GetDateTimeOffset(nameof(CustomerEntity.FirstPurchaseAt)),
            LastPurchaseAt = row.GetDateTimeOffset(nameof(CustomerEntity.LastPurchaseAt)),
            LastTransactionId = row.GetString(nameof(CustomerEntity.LastTransactionId)),
            LastAmountScaled = row.GetInt64(nameof(CustomerEntity.LastAmountScaled)) ?? 0,
            LastQuantity = row.GetInt32(nameof(CustomerEntity.LastQuantity)),
            LastItemsJson = row.GetString(nameof(CustomerEntity.LastItemsJson)),
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
            itemsJson is null ? [] : JsonSerializer.Deserialize<List<LineItem>>(itemsJson, Json)!,
            row.GetString(nameof(TransactionEntity.Source)),
            row.GetDateTimeOffset(nameof(TransactionEntity.ReceivedAt)));
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
                customer.AttributesJson is null ? new Dictionary<string, string>() : JsonSerializer.Deserialize<Dictionary<string, string>>(customer.AttributesJson, Json)!)
            : null;
        var total = Money.FromScaled(customer.TotalAmountScaled);
        var last = customer.LastTransactionId is null || customer.LastPurchaseAt is null
            ? null
            : new LastPurchase(
                customer.LastTransactionId,
                customer.LastPurchaseAt.Value,
                Money.FromScaled(customer.LastAmountScaled),
                customer.LastQuantity,
                ReadItems(customer.LastItemsJson));
        var purchases = new PurchaseSummary(
            customer.PurchaseCount,
            total,
            customer.PurchaseCount == 0 ? null : decimal.Round(total / customer.PurchaseCount, Money.Scale),
            currency,
            customer.FirstPurchaseAt,
            last);
        return new CustomerView(customer.CustomerId, contact, purchases, scores);
    }

    public static IReadOnlyList<LineItem> ReadItems(string? itemsJson)
        => itemsJson is null ? [] : JsonSerializer.Deserialize<List<LineItem>>(itemsJson, Json)!;
}
