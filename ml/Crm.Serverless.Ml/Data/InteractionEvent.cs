namespace Crm.Serverless.Ml.Data;

public enum InteractionChannel
{
    Email,
    Phone,
    Chat,
    Social,
    Store,
    Web,
    Other,
}

public enum InteractionType
{
    Inquiry,
    Complaint,
    Feedback,
    Support,
    Marketing,
    OrderRelated,
    Other,
}

/// <summary>
/// One customer interaction as the models see it: no free text (the subject is personal data and never reaches a
/// model). <see cref="ResolvedUtc"/> null means still open.
/// </summary>
public readonly record struct InteractionEvent(
    DateTime TimestampUtc,
    InteractionChannel Channel,
    bool Inbound,
    InteractionType Type,
    int? Rating = null,
    DateTime? ResolvedUtc = null,
    string? CampaignId = null);
