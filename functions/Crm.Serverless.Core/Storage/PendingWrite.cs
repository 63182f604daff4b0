using Crm.Serverless.Core.Domain;

namespace Crm.Serverless.Core.Storage;

/// <summary>A valid purchase or contact on its way into storage, with the fingerprint that tells retries from conflicts.</summary>
public sealed class PendingWrite
{
    private PendingWrite(Transaction? transaction, Contact? contact, string customerId, string hash, string? reportingCurrency = null)
    {
        ReportingCurrency = reportingCurrency;
        Transaction = transaction;
        Contact = contact;
        CustomerId = customerId;
        Hash = hash;
    }

    public Transaction? Transaction { get; }

    public Contact? Contact { get; }

    /// <summary>Line items for a purchase stored without them (a lines file).</summary>
    public PurchaseLines? Lines { get; private init; }

    public string CustomerId { get; }

    public string Hash { get; }

    /// <summary>The store's currency when the purchase is in another one (then its converted amount is stored).</summary>
    public string? ReportingCurrency { get; }

    public static PendingWrite Of(Transaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        return new(transaction, null, transaction.CustomerId, PayloadHash.Of(transaction));
    }

    /// <summary>A purchase checked against the store's currency (<see cref="Ingestion.StoreCurrency.Check"/>).</summary>
    public static PendingWrite Of(Transaction transaction, string reportingCurrency)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        return new(transaction, null, transaction.CustomerId, PayloadHash.Of(transaction), reportingCurrency);
    }

    /// <summary>Lines to attach to the stored purchase <paramref name="transactionId"/> of <paramref name="customerId"/>.</summary>
    public static PendingWrite OfLines(string customerId, string transactionId, IReadOnlyList<LineItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return new(null, null, customerId, PayloadHash.OfLines(items)) { Lines = new PurchaseLines(transactionId, items) };
    }

    public static PendingWrite Of(Contact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        return new(null, contact, contact.CustomerId, PayloadHash.Of(contact));
    }
}

/// <summary>A purchase's line items sent apart from it.</summary>
public sealed record PurchaseLines(string TransactionId, IReadOnlyList<LineItem> Items);
