using Crm.Serverless.Ml.Clv;

namespace Crm.Serverless.Ml.Tests.Clv;

public class GaussHypergeometricTests
{
    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.99)]
    public void Evaluate_OneOneTwo_IsMinusLogOneMinusZOverZ(double z)
    {
        Assert.Equal(-Math.Log(1 - z) / z, GaussHypergeometric.Evaluate(1, 1, 2, z), 12);
    }

    [Theory]
    [InlineData(-0.5)]
    [InlineData(-3)]
    [InlineData(-50)]
    public void Evaluate_NegativeZ_MatchesLogOnePlusZ(double z)
    {
        // 2F1(1, 1; 2; z) = ln(1 - z) / -z also holds for z < 0, including |z| >= 1 where the plain series diverges.
        Assert.Equal(Math.Log(1 - z) / -z, GaussHypergeometric.Evaluate(1, 1, 2, z), 12);
    }

    [Fact]
    public void Evaluate_HalfHalfThreeHalves_IsArcsinOverArgument()
    {
        const double s = 0.5;

        Assert.Equal(Math.Asin(s) / s, GaussHypergeometric.Evaluate(0.5, 0.5, 1.5, s * s), 13);
    }

    [Theory]
    [InlineData(0.3, 1.0)]
    [InlineData(2.7, 0.4)]
    [InlineData(-1.3, 1.2)]
    public void Evaluate_SineIdentity_MatchesClosedForm(double a, double angle)
    {
        // 2F1(a, 1 - a; 3/2; sin^2 x) = sin((2a - 1) x) / ((2a - 1) sin x): non-integer parameters, z up to 0.87.
        var sin = Math.Sin(angle);
        var expected = Math.Sin((2 * a - 1) * angle) / ((2 * a - 1) * sin);

        Assert.Equal(expected, GaussHypergeometric.Evaluate(a, 1 - a, 1.5, sin * sin), 12);
    }

    [Fact]
    public void Evaluate_BEqualsC_IsBinomialSeries()
    {
        Assert.Equal(Math.Pow(1 - 0.7, -2.243), GaussHypergeometric.Evaluate(2.243, 4.426, 4.426, 0.7), 10);
    }

    [Fact]
    public void Evaluate_OneTwoThree_MatchesTabulatedValue()
    {
        // 2F1(1, 2; 3; z) = 2 (-ln(1 - z) - z) / z^2 = 2.52949347635656 at z = 0.8.
        Assert.Equal(2.52949347635656, GaussHypergeometric.Evaluate(1, 2, 3, 0.8), 12);
    }

    [Fact]
    public void Evaluate_ZAtLeastOne_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GaussHypergeometric.Evaluate(1, 1, 2, 1));
    }

    [Fact]
    public void Evaluate_CNonPositiveInteger_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GaussHypergeometric.Evaluate(1, 1, -2, 0.5));
    }
}
