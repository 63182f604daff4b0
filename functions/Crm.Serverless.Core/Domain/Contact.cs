namespace Crm.Serverless.Core.Domain;

/// <summary>A shop's customer as the shop knows them. Only <see cref="CustomerId"/> is required.</summary>
public sealed record Contact(
    string CustomerId,
    string? Email,
    string? FirstName,
    string? LastName,
    string? Country,
    DateTimeOffset? CreatedAt,
    bool? MarketingConsent,
    IReadOnlyDictionary<string, string> Attributes);
