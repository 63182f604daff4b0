using Crm.Serverless.Ml.Clv;

namespace Crm.Serverless.Ml.Tests.Clv;

public class BetaGeoModelTests
{
    // Fader, Hardie & Lee's CDNOW estimates to four digits (as in Hardie's spreadsheet, note 004).
    private static readonly BetaGeoModel Cdnow = new(new BetaGeoParameters(0.2426, 4.4136, 0.7929, 2.4259));

    [Fact]
    public void ConditionalExpectedPurchases_HardieSpreadsheetCustomer_Is1Point226()
    {
        // lifetimes' test against Hardie's Excel sheet: x = 2, t_x = 30.43, T = 38.86, next 39 weeks.
        Assert.Equal(1.226, Cdnow.ConditionalExpectedPurchases(39, 2, 30.43, 38.86), 0.0005);
    }

    [Fact]
    public void ProbabilityNoPurchase_HardieSpreadsheetCustomer_MatchesHandComputedValue()
    {
        // x = 2, t_x = 30.43, T = 38.86, the next 4 weeks, worked by hand:
        //   odds of having dropped out = a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x)
        //     = 0.7929 / 3.4259 * (43.2736 / 34.8436)^2.2426 = 0.23144 * 1.62566 = 0.37625, so P(alive) = 1 / 1.37625 = 0.72661;
        //   a living customer buys nothing in 4 weeks with ((alpha + T) / (alpha + T + 4))^(r + x) = (43.2736 / 47.2736)^2.2426 = 0.82015;
        //   P(no purchase) = (1 - 0.72661) + 0.72661 * 0.82015 = 0.27339 + 0.59593 = 0.86932.
        Assert.Equal(0.72661, Cdnow.ProbabilityAlive(2, 30.43, 38.86), 0.00001);
        Assert.Equal(0.86932, Cdnow.ProbabilityNoPurchase(4, 2, 30.43, 38.86), 0.00001);
    }

    [Fact]
    public void ProbabilityNoPurchase_OneOffBuyer_IsTheGammaPosteriorSurvivalAlone()
    {
        // No repeat purchase: P(alive) = 1 and P(no purchase in 13 weeks) = (43.2736 / 56.2736)^0.2426 = 0.93826.
        Assert.Equal(0.93826, Cdnow.ProbabilityNoPurchase(13, 0, 0, 38.86), 0.00001);
        Assert.Equal(1.0, Cdnow.ProbabilityNoPurchase(0, 2, 30.43, 38.86), 12);
    }

    [Theory]
    [InlineData(0.1429, 0.0078)]
    [InlineData(1.0, 0.0532)]
    [InlineData(3.0, 0.1506)]
    [InlineData(31.8571, 1.0405)]
    [InlineData(32.0, 1.0437)]
    [InlineData(78.0, 1.8576)]
    public void ExpectedPurchases_NewCustomer_MatchesHardieSpreadsheet(double t, double expected)
    {
        Assert.Equal(expected, Cdnow.ExpectedPurchases(t), 0.0005);
    }

    [Theory]
    [InlineData(0, 0.0, 30.0)]
    [InlineData(3, 12.5, 30.0)]
    [InlineData(25, 29.0, 38.86)]
    [InlineData(120, 70.0, 78.0)]
    public void ConditionalExpectedPurchases_EulerTransformedSeries_EqualsPaperEquation10(int x, double recency, double age)
    {
        // Eq. 10 as printed: 2F1(r+x, b+x; a+b+x-1; z) with ((alpha+T)/(alpha+T+t))^(r+x).
        var (r, alpha, a, b) = Cdnow.Parameters;
        const double t = 26;
        var z = t / (alpha + age + t);
        var hypergeometric = GaussHypergeometric.Evaluate(r + x, b + x, a + b + x - 1, z);
        var ifAlive = (a + b + x - 1) / (a - 1) * (1 - hypergeometric * Math.Pow((alpha + age) / (alpha + age + t), r + x));

        Assert.Equal(ifAlive, Cdnow.ExpectedPurchasesIfAlive(t, x, recency, age), 9);
    }

    [Fact]
    public void ProbabilityAlive_NoRepeatPurchase_IsOne()
    {
        Assert.Equal(1.0, Cdnow.ProbabilityAlive(0, 0, 38.86));
    }

    [Fact]
    public void ProbabilityAlive_MoreRecentLastPurchase_IsHigher()
    {
        var previous = 0.0;
        for (var recency = 0.0; recency <= 38.0; recency += 2)
        {
            var alive = Cdnow.ProbabilityAlive(4, recency, 38.86);
            Assert.True(alive > previous, $"P(alive) should rise with recency; at t_x = {recency} it is {alive}.");
            previous = alive;
        }

        Assert.True(Cdnow.ProbabilityAlive(4, 2, 38.86) < 0.25);
        Assert.True(Cdnow.ProbabilityAlive(4, 38, 38.86) > 0.8);
    }

    [Fact]
    public void ProbabilityAlive_AcrossHistories_StaysAProbability()
    {
        for (var x = 0; x < 100; x += 10)
        {
            for (var recency = 0.0; recency < 100; recency += 10)
            {
                for (var age = recency; age < 100; age += 10)
                {
                    var alive = Cdnow.ProbabilityAlive(x, recency, age);
                    Assert.InRange(alive, 0.0, 1.0);
                }
            }
        }
    }

    [Fact]
    public void TimeToNextPurchase_FrequentRecentBuyerComesBackSooner()
    {
        var frequent = Cdnow.TimeToNextPurchase(10, 38, 38.86);
        var occasional = Cdnow.TimeToNextPurchase(2, 38, 38.86);

        Assert.NotNull(frequent);
        Assert.NotNull(occasional);
        Assert.True(frequent < occasional);
    }

    [Fact]
    public void TimeToNextPurchase_ProbablyGoneCustomer_IsNull()
    {
        Assert.True(Cdnow.ProbabilityAlive(4, 2, 38.86) < 0.5);
        Assert.Null(Cdnow.TimeToNextPurchase(4, 2, 38.86));
    }

    [Fact]
    public void TimeToNextPurchase_AtThatTime_PurchaseProbabilityIsOneHalf()
    {
        // Cross-check the closed form against P(Y(w) > 0) from the negative binomial given alive:
        // P(no purchase in w | alive) = ((alpha + T) / (alpha + T + w))^(r + x), integrated numerically over lambda.
        var (r, alpha, _, _) = Cdnow.Parameters;
        const int x = 6;
        const double age = 38.86;
        var w = Cdnow.TimeToNextPurchase(x, 35, age)!.Value;
        var shape = r + x;
        var rate = alpha + age;
        var noPurchase = 0.0;
        const double step = 1e-4;
        for (var lambda = step / 2; lambda < 5; lambda += step)
        {
            noPurchase += MathNet.Numerics.Distributions.Gamma.PDF(shape, rate, lambda) * Math.Exp(-lambda * w) * step;
        }

        Assert.Equal(0.5, Cdnow.ProbabilityAlive(x, 35, age) * (1 - noPurchase), 4);
    }
}
