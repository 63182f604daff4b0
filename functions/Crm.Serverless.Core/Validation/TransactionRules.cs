using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Storage;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Validation;

/// <summary>What makes a transaction acceptable, whichever door it came in by (HTTP, queue, CSV).</summary>
public sealed class TransactionRules(IOptions<IngestOptions> options, TimeProvider clock)
{
    public const int MaxItems = 200;
    public const int MaxQuantity = 1_000_000;
    public const int MaxSkuLength = 64;
    public const int MaxCategoryLength = 64;
    public const int MaxCouponLength = 32;
    private static readonly DateTimeOffset Earliest = new(1900, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public void Validate(Transaction transaction, string prefix, List<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(errors);
        CheckId(transaction.TransactionId, "transactionId", isCustomerId: false, prefix, errors);
        CheckId(transaction.CustomerId, "customerId", isCustomerId: true, prefix, errors);

        var latest = clock.GetUtcNow() + options.Value.FutureTolerance;
        if (transaction.Timestamp < Earliest || transaction.Timestamp > latest)
        {
            errors.Add(new FieldError(prefix + "timestamp", "must lie between 1900-01-01 and now (future purchases are refused)"));
        }

        CheckAmount(transaction.Amount, prefix + "amount", errors);

        // Whether the currency is the store's is decided where the store's currency is known (StoreCurrency):
        // `crm clv fit` reads files with these rules and no store.
        // A cancel carries no money, so it may name no currency.
        var noCurrency = transaction.Kind == TransactionKind.Cancel && transaction.Currency.Length == 0;
        if (!noCurrency && !Iso4217.IsKnown(transaction.Currency))
        {
            errors.Add(new FieldError(prefix + "currency", "must be an ISO 4217 currency code such as USD"));
        }

        if (transaction.AmountInReportingCurrency is { } converted)
        {
            CheckAmount(converted, prefix + "amountInReportingCurrency", errors);
        }

        if (transaction.Quantity is { } quantity && quantity is < 1 or > MaxQuantity)
        {
            errors.Add(new FieldError(prefix + "quantity", $"must be between 1 and {MaxQuantity}"));
        }

        CheckKind(transaction, prefix, errors);
        if (transaction.Items.Count > MaxItems)
        {
            errors.Add(new FieldError(prefix + "items", $"must have at most {MaxItems} line items"));
            return;
        }

        // Within the limits above, SKUs outside the Basic Multilingual Plane are escaped when stored and can
        // overflow a Table property: refuse that here, naming the field, rather than fail in storage.
        if (EntityMapper.StoredLength(EntityMapper.ItemsJson(transaction.Items)) is var length and > EntityMapper.MaxStoredJsonChars)
        {
            errors.Add(new FieldError(prefix + "items", $"take {length} characters when stored, more than the {EntityMapper.MaxStoredJsonChars} a record holds; send fewer or shorter line items"));
        }

        if (transaction.Kind == TransactionKind.Cancel && transaction.Items.Count > 0)
        {
            errors.Add(new FieldError(prefix + "items", "must be absent on a cancel: it undoes the whole purchase"));
        }

        for (var i = 0; i < transaction.Items.Count; i++)
        {
            CheckLine(transaction.Items[i], $"{prefix}items[{i}].", errors, isRefund: transaction.Kind == TransactionKind.Refund);
        }

        CheckOffer(transaction, prefix, errors);
    }

    /// <summary>One line item, whichever door: in a transaction or a row of a lines file.</summary>
    public static void CheckLine(LineItem item, string itemPrefix, List<FieldError> errors, bool isRefund = false)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrWhiteSpace(item.Sku) || item.Sku.Length > MaxSkuLength || item.Sku.Any(char.IsControl))
        {
            errors.Add(new FieldError(itemPrefix + "sku", $"must be 1 to {MaxSkuLength} printable characters"));
        }

        if (item.Quantity is < 1 or > MaxQuantity)
        {
            errors.Add(new FieldError(itemPrefix + "quantity", $"must be between 1 and {MaxQuantity}"));
        }

        CheckAmount(item.Price, itemPrefix + "price", errors);
        if (item.Category is { } category && (string.IsNullOrWhiteSpace(category) || category.Length > MaxCategoryLength || category.Any(char.IsControl)))
        {
            errors.Add(new FieldError(itemPrefix + "category", $"must be 1 to {MaxCategoryLength} printable characters"));
        }

        if (item.UnitCost is { } cost)
        {
            CheckAmount(cost, itemPrefix + "unitCost", errors);
        }

        // A refunded line gives back units of a purchase line: what they cost and where they belong is the purchase's.
        if (isRefund && (item.Category is not null || item.UnitCost is not null))
        {
            errors.Add(new FieldError(itemPrefix + (item.Category is not null ? "category" : "unitCost"), "belongs on the purchase's line; a refund's line names only sku and quantity"));
        }
    }

    /// <summary>The discount, coupon and campaign of an order: a purchase's only.</summary>
    private static void CheckOffer(Transaction transaction, string prefix, List<FieldError> errors)
    {
        var isPurchase = transaction.Kind == TransactionKind.Purchase;
        if (transaction.DiscountAmount is { } discount)
        {
            if (!isPurchase)
            {
                errors.Add(new FieldError(prefix + "discountAmount", "belongs on the purchase, not on a refund or cancel"));
            }
            else if (discount > transaction.Amount)
            {
                errors.Add(new FieldError(prefix + "discountAmount", "must not exceed amount (amount is what was paid after the discount)"));
            }
            else
            {
                CheckAmount(discount, prefix + "discountAmount", errors);
            }
        }

        if (transaction.CouponCode is { } coupon)
        {
            if (!isPurchase)
            {
                errors.Add(new FieldError(prefix + "couponCode", "belongs on the purchase, not on a refund or cancel"));
            }
            else if (string.IsNullOrWhiteSpace(coupon) || coupon.Length > MaxCouponLength || coupon.Any(char.IsControl) || coupon.Trim().Length != coupon.Length)
            {
                errors.Add(new FieldError(prefix + "couponCode", $"must be 1 to {MaxCouponLength} printable characters, no leading or trailing space"));
            }
        }

        if (transaction.CampaignId is { } campaign)
        {
            if (!isPurchase)
            {
                errors.Add(new FieldError(prefix + "campaignId", "belongs on the purchase, not on a refund or cancel"));
            }
            else
            {
                CheckId(campaign, "campaignId", isCustomerId: false, prefix, errors);
            }
        }
    }

    private static void CheckKind(Transaction transaction, string prefix, List<FieldError> errors)
    {
        if (transaction.Kind == TransactionKind.Purchase)
        {
            if (transaction.RefersTo is not null)
            {
                errors.Add(new FieldError(prefix + "refersTo", "only a refund or cancel refers to a purchase; set kind"));
            }

            return;
        }

        if (transaction.RefersTo is null)
        {
            errors.Add(new FieldError(prefix + "refersTo", $"is required for a {transaction.Kind.Name()}: the transactionId of the purchase"));
        }
        else if (KeyRules.CheckId(transaction.RefersTo, isCustomerId: false) is { } problem)
        {
            errors.Add(new FieldError(prefix + "refersTo", problem));
        }
        else if (transaction.RefersTo == transaction.TransactionId)
        {
            errors.Add(new FieldError(prefix + "refersTo", $"must name the purchase, not the {transaction.Kind.Name()} itself (a {transaction.Kind.Name()} has its own transactionId)"));
        }

        if (transaction.Kind == TransactionKind.Refund && transaction.Amount == 0)
        {
            errors.Add(new FieldError(prefix + "amount", "must be positive for a refund: the amount given back"));
        }
        else if (transaction.Kind == TransactionKind.Cancel && transaction.Amount != 0)
        {
            errors.Add(new FieldError(prefix + "amount", "must be 0 or absent for a cancel: it undoes the whole purchase"));
        }
    }

    internal static void CheckId(string value, string field, bool isCustomerId, string prefix, List<FieldError> errors)
    {
        if (KeyRules.CheckId(value, isCustomerId) is { } problem)
        {
            errors.Add(new FieldError(prefix + field, problem));
        }
    }

    private static void CheckAmount(decimal amount, string field, List<FieldError> errors)
    {
        if (amount < 0)
        {
            errors.Add(new FieldError(field, "must not be negative"));
        }
        else if (amount > Money.MaxAmount)
        {
            errors.Add(new FieldError(field, $"must be at most {Money.MaxAmount:0}"));
        }
        else if (!Money.HasAtMostScaleDigits(amount))
        {
            errors.Add(new FieldError(field, $"must have at most {Money.Scale} decimal places"));
        }
    }
}
