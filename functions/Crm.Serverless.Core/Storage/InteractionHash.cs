using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Crm.Serverless.Core.Domain;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// A fingerprint of the fields of an interaction that never change after it happened, so a retry (same fields,
/// "Z" or "+00:00") is a duplicate and a different interaction under the same id a conflict. The fill-once
/// fields (resolvedAt, rating) are left out: they are compared one by one (<see cref="InteractionWriter"/>).
/// </summary>
public static class InteractionHash
{
    public static string Of(Interaction interaction)
    {
        ArgumentNullException.ThrowIfNull(interaction);
        var text = new StringBuilder()
            .Append(interaction.InteractionId).Append('\n')
            .Append(interaction.CustomerId).Append('\n')
            .Append(interaction.Timestamp.UtcTicks.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(InteractionNames.Name(interaction.Channel)).Append('\n')
            .Append(InteractionNames.Direction(interaction.Inbound)).Append('\n')
            .Append(InteractionNames.Name(interaction.Type)).Append('\n')
            .Append(interaction.CampaignId ?? "\0").Append('\n')
            .Append(interaction.Subject ?? "\0").Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
