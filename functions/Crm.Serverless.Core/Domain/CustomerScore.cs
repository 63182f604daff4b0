namespace Crm.Serverless.Core.Domain;

/// <summary>One factor behind a churn score: the feature, the customer's value of it, and how far it pushed the score.</summary>
public sealed record ScoreFactor(string Feature, double Value, double Contribution);

/// <summary>
/// Everything the nightly run says about one customer, as of <see cref="AsOf"/>. <see cref="MarketingConsent"/>
/// is not part of the nightly snapshot: marketing reads fill it from the customer row at request time.
/// <see cref="ChurnModelVersion"/> and <see cref="PurchaseModelVersion"/> name what produced each probability: a
/// registered model version, or <c>bgnbd</c> when the BG/NBD model did.
/// </summary>
public sealed record CustomerScore(
    string CustomerId,
    string RunId,
    DateOnly AsOf,
    double? ChurnProbability,
    double? PurchaseProbability,
    IReadOnlyList<ScoreFactor> ChurnFactors,
    double ProbabilityAlive,
    double ExpectedPurchases,
    double ExpectedAverageSpend,
    double Clv,
    DateTime? NextPurchaseAt,
    int Recency,
    int Frequency,
    int Monetary,
    string Segment,
    string ValueTier,
    string ChurnRiskTier,
    string ChurnModelVersion,
    string PurchaseModelVersion,
    bool? MarketingConsent = null);
