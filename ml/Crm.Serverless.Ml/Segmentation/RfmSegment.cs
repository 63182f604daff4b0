namespace Crm.Serverless.Ml.Segmentation;

/// <summary>The standard named RFM segments; <see cref="RfmSegmentTable"/> says which scores fall in each.</summary>
public enum RfmSegment
{
    Champions,
    LoyalCustomers,
    PotentialLoyalists,
    NewCustomers,
    Promising,
    NeedAttention,
    AboutToSleep,
    AtRisk,
    CantLoseThem,
    Hibernating,
    Lost,
}
