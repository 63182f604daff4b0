using System.Globalization;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Core.Export;

/// <summary>Writes one CSV row per customer with the 360-degree fields, streaming straight from storage.</summary>
public sealed class CustomerCsvExporter(CustomerReader reader)
{
    public static readonly string[] Columns =
    [
        "customerId", "email", "firstName", "lastName", "country", "marketingConsent",
        "purchaseCount", "totalSpend", "averageSpend", "currency", "firstPurchaseAt", "lastPurchaseAt", "lastTransactionId", "lastAmount",
    ];

    public async Task<int> WriteAsync(TextWriter writer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        await writer.WriteLineAsync(string.Join(',', Columns));
        var rows = 0;
        await foreach (var customer in reader.ScanCustomersAsync(cancellationToken))
        {
            var view = reader.ToViews([customer]).Single();
            var contact = view.Contact;
            var purchases = view.Purchases;
            string?[] fields =
            [
                view.CustomerId, contact?.Email, contact?.FirstName, contact?.LastName, contact?.Country,
                contact?.MarketingConsent?.ToString(CultureInfo.InvariantCulture).ToLowerInvariant(),
                purchases.Count.ToString(CultureInfo.InvariantCulture),
                purchases.TotalSpend.ToString(CultureInfo.InvariantCulture),
                purchases.AverageSpend?.ToString(CultureInfo.InvariantCulture),
                purchases.Currency,
                purchases.FirstPurchaseAt?.ToString("O", CultureInfo.InvariantCulture),
                purchases.LastPurchase?.At.ToString("O", CultureInfo.InvariantCulture),
                purchases.LastPurchase?.TransactionId,
                purchases.LastPurchase?.Amount.ToString(CultureInfo.InvariantCulture),
            ];
            await writer.WriteLineAsync(string.Join(',', fields.Select(Escape)));
            rows++;
        }

        return rows;
    }

    /// <summary>RFC 4180 quoting, plus a leading quote for cells a spreadsheet would run as a formula.</summary>
    public static string Escape(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@' && !decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out _))
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
