using Crm.Serverless.Core.Domain;

namespace Crm.Serverless.Core.Storage;

/// <summary>A valid purchase or contact on its way into storage, with the fingerprint that tells retries from conflicts.</summary>
public sealed class PendingWrite
{
    private PendingWrite(Transaction? transaction, Contact? contact, string customerId, string hash)
    {
        Transaction = transaction;
        Contact = contact;
        CustomerId = customerId;
        Hash = hash;
    }

    public Transaction? Transaction { get; }

    public Contact? Contact { get; }

    public string CustomerId { get; }

    public string Hash { get; }

    public static PendingWrite Of(Transaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        return new(transaction, null, transaction.CustomerId, PayloadHash.Of(transaction));
    }

    public static PendingWrite Of(Contact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        return new(null, contact, contact.CustomerId, PayloadHash.Of(contact));
    }
}
