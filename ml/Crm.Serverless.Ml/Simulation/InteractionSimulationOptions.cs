using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Simulation;

/// <summary>
/// How a simulated shop talks to its customers, and how much that talk moves them. Rates are per customer per week
/// while the customer is still buying; the churn chances are the known effect sizes: on top of the BG/NBD dropout, a
/// complaint ends the relationship at once with <see cref="ChurnAfterUnresolvedComplaint"/> (never resolved) or
/// <see cref="ChurnAfterResolvedComplaint"/>, and a rating of 1 or 2 with <see cref="ChurnAfterLowRating"/>.
/// </summary>
public sealed record InteractionSimulationOptions
{
    public double ComplaintsPerWeek { get; init; } = 0.02;

    /// <summary>Share of complaints the shop resolves, after an exponential wait of <see cref="MeanResolutionDays"/>.</summary>
    public double ResolvedShare { get; init; } = 0.6;

    public double MeanResolutionDays { get; init; } = 4;

    public double ChurnAfterUnresolvedComplaint { get; init; } = 0.6;

    public double ChurnAfterResolvedComplaint { get; init; } = 0.15;

    /// <summary>Share of purchases the customer rates (inbound feedback a few days later).</summary>
    public double RatingShare { get; init; } = 0.25;

    /// <summary>Share of ratings that are 1 or 2; the rest are 3 to 5.</summary>
    public double LowRatingShare { get; init; } = 0.15;

    public double ChurnAfterLowRating { get; init; } = 0.3;

    /// <summary>Inbound inquiries, support and order questions, which carry no churn effect of their own.</summary>
    public double InquiriesPerWeek { get; init; } = 0.04;

    /// <summary>Marketing e-mails go to consenting customers every this many weeks, whether they still buy or not.</summary>
    public double MarketingEveryWeeks { get; init; } = 4;

    public double MarketingConsentShare { get; init; } = 0.67;

    /// <summary>Relative weights of the inbound channels, in <see cref="InteractionChannel"/> order.</summary>
    public IReadOnlyList<double> ChannelWeights { get; init; } = [0.35, 0.30, 0.20, 0.05, 0.05, 0.04, 0.01];

    /// <summary>
    /// A second, different shape, not used to design the features: fewer complaints, mostly resolved, weaker effects,
    /// a chat- and social-heavy channel mix and more frequent marketing.
    /// </summary>
    public static InteractionSimulationOptions Quiet { get; } = new()
    {
        ComplaintsPerWeek = 0.008,
        ResolvedShare = 0.8,
        MeanResolutionDays = 10,
        ChurnAfterUnresolvedComplaint = 0.4,
        ChurnAfterResolvedComplaint = 0.1,
        RatingShare = 0.4,
        LowRatingShare = 0.1,
        ChurnAfterLowRating = 0.2,
        InquiriesPerWeek = 0.02,
        MarketingEveryWeeks = 2,
        MarketingConsentShare = 0.5,
        ChannelWeights = [0.15, 0.15, 0.35, 0.20, 0.05, 0.08, 0.02],
    };
}
