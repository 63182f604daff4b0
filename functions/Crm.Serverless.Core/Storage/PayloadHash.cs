using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Crm.Serverless.Core.Domain;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// A fingerprint of an item's content after parsing, so the same purchase, contact or interaction sent as JSON or
/// as a CSV row, with "Z" or "+00:00", hashes the same: a retry is a duplicate, a changed payload under the same id
/// a conflict.
/// </summary>
public static class PayloadHash
{
    public static string Of(Transaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var text = new StringBuilder()
            .Append(transaction.TransactionId).Append('\n')
            .Append(transaction.CustomerId).Append('\n')
            .Append(transaction.Timestamp.UtcTicks.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(Money.ToScaled(transaction.Amount).ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(transaction.Currency).Append('\n')
            .Append(transaction.Quantity?.ToString(CultureInfo.InvariantCulture) ?? "-").Append('\n');
        AppendLines(text, transaction.Items);

        // Only when present, so purchases sent without it hash as they always did.
        if (transaction.AmountInReportingCurrency is { } converted)
        {
            text.Append("amountInReportingCurrency\t").Append(Money.ToScaled(converted).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        // Likewise each only when present. Printable values (the rules refuse tabs and newlines) keep it unambiguous.
        if (transaction.DiscountAmount is { } discount)
        {
            text.Append("discountAmount\t").Append(Money.ToScaled(discount).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        if (transaction.CouponCode is { } coupon)
        {
            text.Append("couponCode\t").Append(coupon).Append('\n');
        }

        if (transaction.CampaignId is { } campaign)
        {
            text.Append("campaignId\t").Append(campaign).Append('\n');
        }

        return Hash(text.ToString());
    }

    /// <summary>The lines alone: what a lines file attaches to a stored purchase, compared with what it already has.</summary>
    public static string OfLines(IReadOnlyList<LineItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var text = new StringBuilder("lines\n");
        AppendLines(text, items);
        return Hash(text.ToString());
    }

    private static void AppendLines(StringBuilder text, IReadOnlyList<LineItem> items)
    {
        foreach (var item in items)
        {
            text.Append(item.Sku).Append('\t')
                .Append(item.Quantity.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(Money.ToScaled(item.Price).ToString(CultureInfo.InvariantCulture));

            // Only when present, so lines sent without them hash as they always did.
            if (item.Category is { } category)
            {
                text.Append("\tc=").Append(category);
            }

            if (item.UnitCost is { } cost)
            {
                text.Append("\tu=").Append(Money.ToScaled(cost).ToString(CultureInfo.InvariantCulture));
            }

            text.Append('\n');
        }
    }

    public static string Of(Contact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var text = new StringBuilder()
            .Append(contact.CustomerId).Append('\n')
            .Append(contact.Email ?? "\0").Append('\n')
            .Append(contact.FirstName ?? "\0").Append('\n')
            .Append(contact.LastName ?? "\0").Append('\n')
            .Append(contact.Country ?? "\0").Append('\n')
            .Append(contact.CreatedAt?.UtcTicks.ToString(CultureInfo.InvariantCulture) ?? "-").Append('\n')
            .Append(contact.MarketingConsent switch { true => "1", false => "0", null => "-" }).Append('\n');
        foreach (var (key, value) in contact.Attributes.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            text.Append(key).Append('\t').Append(value).Append('\n');
        }

        return Hash(text.ToString());
    }

    /// <summary>
    /// The fields of an interaction that never change after it happened. The fill-once fields (resolvedAt, rating)
    /// are left out: <see cref="InteractionWriter"/> compares them one by one.
    /// </summary>
    public static string Of(Interaction interaction)
    {
        ArgumentNullException.ThrowIfNull(interaction);
        string[] fields =
        [
            interaction.InteractionId,
            interaction.CustomerId,
            interaction.Timestamp.UtcTicks.ToString(CultureInfo.InvariantCulture),
            InteractionNames.Name(interaction.Channel),
            InteractionNames.Direction(interaction.Inbound),
            InteractionNames.Name(interaction.Type),
            interaction.CampaignId ?? "\0",
            interaction.Subject ?? "\0",
        ];
        return Hash(string.Concat(fields.Select(field => field + "\n")));
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
