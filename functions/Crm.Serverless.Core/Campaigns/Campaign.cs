namespace Crm.Serverless.Core.Campaigns;

public enum CampaignGroup
{
    /// <summary>Receives the mailing: exported for the mailing tool.</summary>
    Treatment,

    /// <summary>Held out: never exported, measured beside the treatment.</summary>
    Control,
}

public static class CampaignStatus
{
    /// <summary>The record exists, its members are being written; creating it again with the same name resumes.</summary>
    public const string Creating = "Creating";

    public const string Ready = "Ready";
}

/// <summary>
/// A campaign as created: the segment and run its target list was frozen from, the consent rule applied then, and
/// the seeded split (<see cref="CampaignSplit"/>) into treatment and control. No customer data: the members are
/// stored apart (<see cref="CampaignStore"/>).
/// </summary>
/// <param name="SentAt">When the mailing went out: the start of the response window.</param>
public sealed record Campaign(
    string Name,
    string Segment,
    string RunId,
    DateOnly RunAsOf,
    bool MarketableOnly,
    double ControlShare,
    long Seed,
    DateTimeOffset CreatedAt,
    DateTimeOffset SentAt,
    int Treatment,
    int Control,
    string Status)
{
    /// <summary>The stored key: names differing only in case are the same campaign.</summary>
    public string Key => CampaignStore.KeyOf(Name);
}
