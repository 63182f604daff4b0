namespace Crm.Serverless.Ml.Data;

/// <summary>
/// One line of a purchase as the product models see it: quantity and amount net of refunded lines, amount in the
/// store's reporting currency. <see cref="UnitCost"/> (per unit) is known only when the shop sends it.
/// </summary>
public readonly record struct BasketLine(string Sku, double Quantity, double NetAmount, string? Category = null, double? UnitCost = null);

/// <summary>
/// One purchase with its lines, the input of product facts, recommendations and discount response. The nightly run
/// reads these from the purchase rows, the CLI from CSV files, the tests from the simulator, all the same way.
/// </summary>
/// <param name="DiscountAmount">The discount given on the whole order, in the reporting currency (0 when none).</param>
/// <param name="CampaignId">The campaign the shop attributes the order to, if any.</param>
/// <param name="Amount">What the order came to after its discount and before refunds, in the reporting currency.</param>
/// <param name="RefundedLines">
/// Units given back by refunds that named lines, with the value they took back; they are not in <see cref="Lines"/>
/// (a line refunded whole is absent from it), so consumers of <see cref="Lines"/> see only what was kept.
/// </param>
/// <param name="WhollyRefunded">All its money was given back: nothing of it was kept (its lines are all refunded).</param>
public sealed record Basket(
    string CustomerId,
    string TransactionId,
    DateTime TimestampUtc,
    IReadOnlyList<BasketLine> Lines,
    double DiscountAmount = 0,
    string? CouponCode = null,
    string? CampaignId = null,
    double Amount = 0,
    IReadOnlyList<BasketLine>? RefundedLines = null,
    bool WhollyRefunded = false);
