using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Tests.TestData;
using Xunit.Abstractions;

namespace Crm.Serverless.Ml.Tests.Clv;

public class CdnowFitTests(ITestOutputHelper output)
{
    private static readonly Lazy<CustomerSummaries> Summaries = new(() =>
        CustomerSummaryBuilder.Build(CdnowSample.Load(), CdnowSample.CalibrationEnd, ClvTimeUnit.Weeks));

    [Fact]
    public void BetaGeoFit_CdnowSample_ReproducesPublishedParameters()
    {
        var fit = BetaGeoFitter.Fit(Summaries.Value);

        output.WriteLine($"{fit.Parameters} LL={fit.LogLikelihood:R} iterations={fit.Iterations}");
        Assert.Equal(0.243, Math.Round(fit.Parameters.R, 3));
        Assert.Equal(4.414, Math.Round(fit.Parameters.Alpha, 3));
        Assert.Equal(0.793, Math.Round(fit.Parameters.A, 3));
        Assert.Equal(2.426, Math.Round(fit.Parameters.B, 3));
        Assert.Equal(-9582.4, Math.Round(fit.LogLikelihood, 1));
        Assert.Equal(2357, fit.Customers);
    }

    [Fact]
    public void GammaGammaFit_CdnowSample_ReproducesPublishedParameters()
    {
        var fit = GammaGammaFitter.Fit(Summaries.Value);

        output.WriteLine($"{fit.Parameters} LL={fit.LogLikelihood:R} iterations={fit.Iterations}");
        Assert.Equal(6.25, Math.Round(fit.Parameters.P, 2));
        Assert.Equal(3.74, Math.Round(fit.Parameters.Q, 2));
        Assert.Equal(15.44, Math.Round(fit.Parameters.Gamma, 2));
        Assert.Equal(946, fit.Customers);
    }
}
