namespace Crm.Serverless.Core.Domain;

/// <summary>
/// A shop's customer as the shop knows them. Only <see cref="CustomerId"/> is required. A contact for a stored
/// customer updates it field by field: <see cref="Fields"/> names the fields the sender included (null: all of
/// them), an included field that is null clears the stored value, and <see cref="UpdatedAt"/> (null: the time it
/// was received) decides which of two updates of a field wins.
/// </summary>
public sealed record Contact(
    string CustomerId,
    string? Email,
    string? FirstName,
    string? LastName,
    string? Country,
    DateTimeOffset? CreatedAt,
    bool? MarketingConsent,
    IReadOnlyDictionary<string, string> Attributes,
    DateTimeOffset? UpdatedAt = null,
    IReadOnlySet<string>? Fields = null)
{
    public bool Has(string field) => Fields is null || Fields.Contains(field);
}

/// <summary>The contact fields that can be updated one by one; the names are the JSON and CSV names.</summary>
public static class ContactField
{
    public const string Email = "email";
    public const string FirstName = "firstName";
    public const string LastName = "lastName";
    public const string Country = "country";
    public const string CreatedAt = "createdAt";
    public const string MarketingConsent = "marketingConsent";
    public const string Attributes = "attributes";

    public static readonly IReadOnlyList<string> All = [Email, FirstName, LastName, Country, CreatedAt, MarketingConsent, Attributes];
}
