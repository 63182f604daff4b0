namespace Crm.Serverless.Core.Domain;

/// <summary>One purchase. <see cref="Amount"/> is in the shop's reporting currency, never a float.</summary>
public sealed record Transaction(
    string TransactionId,
    string CustomerId,
    DateTimeOffset Timestamp,
    decimal Amount,
    string Currency,
    int? Quantity,
    IReadOnlyList<LineItem> Items);

public sealed record LineItem(string Sku, int Quantity, decimal Price);
