using Crm.Serverless.Ml.Segmentation;

namespace Crm.Serverless.Ml.Tests.Segmentation;

public class TiersTests
{
    [Fact]
    public void Assign_HundredCustomers_TopTenHighNextFortyMediumRestLow()
    {
        var clv = Enumerable.Range(0, 100).Select(i => (double)i).ToArray();

        var tiers = ValueTiers.Assign(clv);

        Assert.Equal(10, tiers.Count(t => t == ValueTier.High));
        Assert.Equal(40, tiers.Count(t => t == ValueTier.Medium));
        Assert.Equal(50, tiers.Count(t => t == ValueTier.Low));
        Assert.Equal(ValueTier.High, tiers[99]);
        Assert.Equal(ValueTier.High, tiers[90]);
        Assert.Equal(ValueTier.Medium, tiers[89]);
        Assert.Equal(ValueTier.Low, tiers[0]);
    }

    [Fact]
    public void Assign_EqualClv_SharesTheLowerTier()
    {
        var clv = Enumerable.Repeat(5.0, 20).Append(100).ToArray();

        var tiers = ValueTiers.Assign(clv);

        Assert.Equal(ValueTier.High, tiers[^1]);
        Assert.All(tiers.Take(20), t => Assert.Equal(ValueTier.Low, t));
        Assert.All(ValueTiers.Assign(new double[50]), t => Assert.Equal(ValueTier.Low, t));
    }

    [Theory]
    [InlineData(0.0, ChurnRiskTier.Low)]
    [InlineData(0.29, ChurnRiskTier.Low)]
    [InlineData(0.3, ChurnRiskTier.Medium)]
    [InlineData(0.69, ChurnRiskTier.Medium)]
    [InlineData(0.7, ChurnRiskTier.High)]
    [InlineData(1.0, ChurnRiskTier.High)]
    public void Tier_ChurnProbability_UsesDocumentedThresholds(double churn, ChurnRiskTier expected)
    {
        Assert.Equal(expected, ChurnRisk.Tier(churn));
    }

    [Fact]
    public void Tier_NotAProbability_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ChurnRisk.Tier(1.5));
    }
}
