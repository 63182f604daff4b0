using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Core.Domain;

/// <summary>
/// One contact between the shop and a customer, on any channel, whichever way it went. <see cref="Subject"/> is
/// free text and personal data: it is stored with the customer, erased and exported with them, and never logged
/// or reported. <see cref="ResolvedAt"/> and <see cref="Rating"/> are fill-once: the same interaction sent again
/// later with one of them added updates the stored one (see <see cref="Storage.InteractionWriter"/>).
/// </summary>
public sealed record Interaction(
    string InteractionId,
    string CustomerId,
    DateTimeOffset Timestamp,
    InteractionChannel Channel,
    bool Inbound,
    InteractionType Type,
    int? Rating = null,
    DateTimeOffset? ResolvedAt = null,
    string? CampaignId = null,
    string? Subject = null)
{
    /// <summary>A complaint not resolved yet.</summary>
    public bool IsOpenComplaint => Type == InteractionType.Complaint && ResolvedAt is null;

    /// <summary>What the models see: no subject.</summary>
    public InteractionEvent ToEvent()
        => new(Timestamp.UtcDateTime, Channel, Inbound, Type, Rating, ResolvedAt?.UtcDateTime, CampaignId);
}

/// <summary>The wire names of channels, directions and types (lower case; "order-related"), parsed into the ml enums.</summary>
public static class InteractionNames
{
    public const string Inbound = "inbound";
    public const string Outbound = "outbound";

    public static readonly IReadOnlyList<InteractionChannel> Channels = Enum.GetValues<InteractionChannel>();

    public static readonly IReadOnlyList<InteractionType> Types = Enum.GetValues<InteractionType>();

    public static readonly string ChannelExpected = "must be one of " + string.Join(", ", Channels.Select(c => $"\"{Name(c)}\""));

    public static readonly string TypeExpected = "must be one of " + string.Join(", ", Types.Select(t => $"\"{Name(t)}\""));

    public const string DirectionExpected = "must be \"inbound\" or \"outbound\"";

    public static string Name(InteractionChannel channel) => channel.ToString().ToLowerInvariant();

    public static string Name(InteractionType type) => type == InteractionType.OrderRelated ? "order-related" : type.ToString().ToLowerInvariant();

    public static string Direction(bool inbound) => inbound ? Inbound : Outbound;

    public static bool TryParseChannel(ReadOnlySpan<char> text, out InteractionChannel channel)
    {
        foreach (var candidate in Channels)
        {
            if (text.Equals(Name(candidate), StringComparison.Ordinal))
            {
                channel = candidate;
                return true;
            }
        }

        channel = InteractionChannel.Other;
        return false;
    }

    public static bool TryParseType(ReadOnlySpan<char> text, out InteractionType type)
    {
        foreach (var candidate in Types)
        {
            if (text.Equals(Name(candidate), StringComparison.Ordinal))
            {
                type = candidate;
                return true;
            }
        }

        type = InteractionType.Other;
        return false;
    }

    public static bool TryParseDirection(ReadOnlySpan<char> text, out bool inbound)
    {
        inbound = text.Equals(Inbound, StringComparison.Ordinal);
        return inbound || text.Equals(Outbound, StringComparison.Ordinal);
    }
}
