namespace Crm.Serverless.Core.Domain;

/// <summary>
/// One purchase, refund or cancellation, never a float. <see cref="Amount"/> is in <see cref="Currency"/>, as the
/// shop sent it; an item in another currency than the store's carries <see cref="AmountInReportingCurrency"/>, the
/// shop's own conversion, which is what aggregates and models add up (see <see cref="Ingestion.StoreCurrency"/>).
/// A refund's amount is what was given back (positive), a cancel's is 0. <see cref="RefersTo"/> is the
/// <see cref="TransactionId"/> of the purchase a refund or cancel applies to, of the same customer. A refund's
/// <see cref="Items"/> name the lines it gives back (sku and quantity), checked against the purchase's lines when it
/// is applied. <see cref="DiscountAmount"/> is the discount on the whole order, in <see cref="Currency"/>:
/// <see cref="Amount"/> is what was paid after it, so the order was worth <c>Amount + DiscountAmount</c> before it.
/// </summary>
public sealed record Transaction(
    string TransactionId,
    string CustomerId,
    DateTimeOffset Timestamp,
    decimal Amount,
    string Currency,
    int? Quantity,
    IReadOnlyList<LineItem> Items,
    decimal? AmountInReportingCurrency = null,
    TransactionKind Kind = TransactionKind.Purchase,
    string? RefersTo = null,
    decimal? DiscountAmount = null,
    string? CouponCode = null,
    string? CampaignId = null);

/// <summary>
/// One line of a purchase: <see cref="Price"/> and <see cref="UnitCost"/> are per unit, in the purchase's currency.
/// On a refund a line names what is given back; its price is not needed (0 when not sent).
/// </summary>
public sealed record LineItem(string Sku, int Quantity, decimal Price, string? Category = null, decimal? UnitCost = null);

public enum TransactionKind
{
    Purchase,

    /// <summary>Money given back for part or all of a purchase.</summary>
    Refund,

    /// <summary>The purchase never happened (cancelled order, or stored under the wrong customer).</summary>
    Cancel,
}

public static class TransactionKinds
{
    public static string Name(this TransactionKind kind) => kind switch
    {
        TransactionKind.Refund => "refund",
        TransactionKind.Cancel => "cancel",
        _ => "purchase",
    };

    public static bool TryParse(ReadOnlySpan<char> text, out TransactionKind kind)
    {
        kind = TransactionKind.Purchase;
        if (text.Equals("purchase", StringComparison.Ordinal))
        {
            return true;
        }

        if (text.Equals("refund", StringComparison.Ordinal))
        {
            kind = TransactionKind.Refund;
            return true;
        }

        if (text.Equals("cancel", StringComparison.Ordinal))
        {
            kind = TransactionKind.Cancel;
            return true;
        }

        return false;
    }

    public const string Expected = "must be \"purchase\", \"refund\" or \"cancel\"";
}
