namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// The interaction features, appended after <see cref="CustomerFeatures"/> when a shop sends interactions
/// (<see cref="FeatureLayout.WithInteractions"/>). Counted from interactions strictly before the row's date; a
/// complaint counts as unresolved when it was not resolved before that date.
/// </summary>
public static class InteractionFeatures
{
    public const int Count = 5;

    /// <summary>Days of the complaint and marketing e-mail windows.</summary>
    public const double WindowDays = 90;

    internal const int ComplaintsLast90Days = CustomerFeatures.Count;
    internal const int UnresolvedComplaintsLast90Days = CustomerFeatures.Count + 1;
    internal const int DaysSinceLastInbound = CustomerFeatures.Count + 2;
    internal const int LastRating = CustomerFeatures.Count + 3;
    internal const int UnansweredMarketingEmailsLast90Days = CustomerFeatures.Count + 4;

    public static IReadOnlyList<FeatureDefinition> Definitions { get; } =
    [
        new("ComplaintsLast90Days", "Complaints in the last 90 days"),
        new("UnresolvedComplaintsLast90Days", "Complaints in the last 90 days still unresolved"),
        new("DaysSinceLastInbound", "Days since the customer last contacted us"),
        new("LastRating", "Last rating given (1-5)"),
        new("UnansweredMarketingEmailsLast90Days", "Marketing e-mails in the last 90 days with no purchase since"),
    ];
}
