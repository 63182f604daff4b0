namespace Crm.Serverless.Core.Domain;

/// <summary>
/// A customer's interaction aggregates as of one moment. Counts keyed by wire name ("email", "order-related"),
/// every channel and type present. "Last 90 days" is the 90 UTC calendar days ending on the as-of day.
/// </summary>
public sealed record InteractionSummary(
    int Count,
    DateTimeOffset? LastInboundAt,
    DateTimeOffset? LastOutboundAt,
    int OpenComplaints,
    int? LastRating,
    DateTimeOffset? LastRatingAt,
    IReadOnlyDictionary<string, int> Last90DaysByChannel,
    IReadOnlyDictionary<string, int> Last90DaysByType,
    IReadOnlyDictionary<string, int> InboundByChannel,
    ChannelAffinity? ChannelAffinity)
{
    /// <summary>The latest contact either way.</summary>
    public DateTimeOffset? LastContactAt => (LastInboundAt, LastOutboundAt) switch
    {
        ({ } inbound, { } outbound) => inbound > outbound ? inbound : outbound,
        ({ } inbound, null) => inbound,
        (null, var outbound) => outbound,
    };
}

/// <summary>
/// The channel a customer answers and buys through: the one with most responses, where every inbound interaction
/// is a response on its channel and one attributed to a campaign or about an order counts twice (they show the
/// channel works for selling, not only for talking). Null below <see cref="MinResponses"/> inbound interactions.
/// </summary>
/// <param name="Share">The channel's weighted responses over all of the customer's weighted responses (0-1].</param>
public sealed record ChannelAffinity(string Channel, double Share, int Responses)
{
    public const int MinResponses = 3;
}

/// <summary>One interaction as the 360 view and the access export show it.</summary>
public sealed record InteractionRecord(
    string InteractionId,
    DateTimeOffset Timestamp,
    string Channel,
    string Direction,
    string Type,
    int? Rating,
    DateTimeOffset? ResolvedAt,
    string? CampaignId,
    string? Subject);

/// <summary>The 360 view's interaction part: the aggregates and the latest interactions, newest first.</summary>
public sealed record InteractionsView(InteractionSummary Summary, IReadOnlyList<InteractionRecord> Recent)
{
    public const int RecentCount = 20;
}

/// <summary>"What did the customer last buy, and when did we last talk", in one line of the view.</summary>
public sealed record AtAGlance(
    DateTimeOffset? LastPurchaseAt,
    decimal? LastPurchaseAmount,
    DateTimeOffset? LastContactAt,
    string? LastContactChannel,
    string? LastContactDirection,
    string? LastContactType,
    int OpenComplaints);
