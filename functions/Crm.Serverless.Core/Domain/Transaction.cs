namespace Crm.Serverless.Core.Domain;

/// <summary>
/// One purchase, never a float. <see cref="Amount"/> is in <see cref="Currency"/>, as the shop sent it; an item in
/// another currency than the store's carries <see cref="AmountInReportingCurrency"/>, the shop's own conversion,
/// which is what aggregates and models add up (see <see cref="Ingestion.StoreCurrency"/>).
/// </summary>
public sealed record Transaction(
    string TransactionId,
    string CustomerId,
    DateTimeOffset Timestamp,
    decimal Amount,
    string Currency,
    int? Quantity,
    IReadOnlyList<LineItem> Items,
    decimal? AmountInReportingCurrency = null);

public sealed record LineItem(string Sku, int Quantity, decimal Price);
