using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Validation;

/// <summary>What makes a transaction acceptable, whichever door it came in by (HTTP, queue, CSV).</summary>
public sealed class TransactionRules(IOptions<IngestOptions> options, TimeProvider clock)
{
    public const int MaxItems = 200;
    public const int MaxQuantity = 1_000_000;
    public const int MaxSkuLength = 64;
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
        if (!Iso4217.IsKnown(transaction.Currency))
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

        if (transaction.Items.Count > MaxItems)
        {
            errors.Add(new FieldError(prefix + "items", $"must have at most {MaxItems} line items"));
            return;
        }

        for (var i = 0; i < transaction.Items.Count; i++)
        {
            var item = transaction.Items[i];
            var itemPrefix = $"{prefix}items[{i}].";
            if (string.IsNullOrWhiteSpace(item.Sku) || item.Sku.Length > MaxSkuLength || item.Sku.Any(char.IsControl))
            {
                errors.Add(new FieldError(itemPrefix + "sku", $"must be 1 to {MaxSkuLength} printable characters"));
            }

            if (item.Quantity is < 1 or > MaxQuantity)
            {
                errors.Add(new FieldError(itemPrefix + "quantity", $"must be between 1 and {MaxQuantity}"));
            }

            CheckAmount(item.Price, itemPrefix + "price", errors);
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
