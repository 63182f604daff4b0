using Crm.Serverless.Ml.Clv;

namespace Crm.Serverless.Ml.Tests.Clv;

public class GammaGammaModelTests
{
    [Fact]
    public void ConditionalExpectedAverageSpend_HardieCustomers_MatchesSpreadsheet()
    {
        // Fader & Hardie's first ten CDNOW customers (x, mean repeat spend) and E[Z | x, zbar] from their
        // spreadsheet for note 025, as lifetimes tests them (within 0.1).
        var model = new GammaGammaModel(new GammaGammaParameters(6.25, 3.74, 15.44));
        (int X, double M, double Expected)[] customers =
        [
            (2, 22.35, 24.65), (1, 11.77, 18.91), (0, 0, 35.17), (0, 0, 35.17), (0, 0, 35.17),
            (7, 73.74, 71.46), (1, 11.77, 18.91), (0, 0, 35.17), (2, 25.55, 27.28), (0, 0, 35.17),
        ];

        foreach (var (x, m, expected) in customers)
        {
            Assert.Equal(expected, model.ConditionalExpectedAverageSpend(x, m), 0.1);
        }
    }

    [Fact]
    public void ConditionalExpectedAverageSpend_MoreTransactions_MovesTowardOwnMean()
    {
        var model = new GammaGammaModel(new GammaGammaParameters(6.25, 3.74, 15.44));
        const double ownMean = 100;

        var few = model.ConditionalExpectedAverageSpend(1, ownMean);
        var many = model.ConditionalExpectedAverageSpend(50, ownMean);

        Assert.True(model.PopulationMeanSpend < few && few < many && many < ownMean);
        Assert.Equal(ownMean, many, 1.0);
    }

    [Fact]
    public void Constructor_QAtMostOne_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GammaGammaModel(new GammaGammaParameters(6, 1, 15)));
    }
}
