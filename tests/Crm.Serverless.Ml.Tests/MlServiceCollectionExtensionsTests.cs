using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Ml.Tests.TestData;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Ml.Tests;

public class MlServiceCollectionExtensionsTests
{
    [Fact]
    public void AddCrmMl_BindsModelsSection()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration["Models:ChurnWindowDays"] = "60";
        builder.Configuration["Models:PromotionAucTolerance"] = "0.02";
        builder.Configuration["Models:Calibration"] = "Isotonic";

        builder.AddCrmMl();
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptions<PropensityOptions>>().Value;
        Assert.Equal(60, options.ChurnWindowDays);
        Assert.Equal(30, options.PurchaseWindowDays);
        Assert.Equal(ProbabilityCalibration.Isotonic, options.Calibration);
        var gate = host.Services.GetRequiredService<PromotionGate>();
        Assert.Equal(0.02, gate.AucTolerance);
        Assert.Equal(0.55, gate.MinimumAuc);
        Assert.NotNull(host.Services.GetRequiredService<PropensityTrainer>());
    }

    [Fact]
    public void AddCrmMl_OutOfRangeWindow_FailsValidation()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration["Models:ChurnWindowDays"] = "0";

        builder.AddCrmMl();
        using var host = builder.Build();

        Assert.Throws<OptionsValidationException>(() => _ = host.Services.GetRequiredService<IOptions<PropensityOptions>>().Value);
    }

    [Fact]
    public void AddCrmMl_ClvSection_BindsOptionsIntoTheService()
    {
        using var host = BuildHost(new()
        {
            ["Clv:TimeUnit"] = "Days",
            ["Clv:HorizonMonths"] = "6",
            ["Clv:MonthlyDiscountRate"] = "0.02",
        });

        var options = host.Services.GetRequiredService<IOptions<ClvOptions>>().Value;
        var service = host.Services.GetRequiredService<ClvService>();
        var summaries = service.Summarise(CdnowSample.Load(), CdnowSample.CalibrationEnd);
        var scores = service.Score(service.Fit(summaries), summaries);

        Assert.Equal(ClvTimeUnit.Days, options.TimeUnit);
        Assert.Equal(6, options.HorizonMonths);
        Assert.Equal(0.02, options.MonthlyDiscountRate);
        Assert.Equal(ClvTimeUnit.Days, summaries.TimeUnit);
        Assert.Equal(6, scores.HorizonMonths);
        Assert.Equal(2357, scores.Count);
    }

    [Fact]
    public void AddCrmMl_NoClvSection_UsesTwelveMonthsWeeksAndOnePercent()
    {
        using var host = BuildHost([]);

        var options = host.Services.GetRequiredService<IOptions<ClvOptions>>().Value;

        Assert.Equal(ClvTimeUnit.Weeks, options.TimeUnit);
        Assert.Equal(12, options.HorizonMonths);
        Assert.Equal(0.01, options.MonthlyDiscountRate);
    }

    [Fact]
    public async Task AddCrmMl_InvalidHorizon_FailsAtStart()
    {
        using var host = BuildHost(new() { ["Clv:HorizonMonths"] = "0" });

        await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
    }

    [Fact]
    public void Fit_SummariesInAnotherUnit_Throws()
    {
        using var host = BuildHost(new() { ["Clv:TimeUnit"] = "Weeks" });
        var service = host.Services.GetRequiredService<ClvService>();
        var daily = CustomerSummaryBuilder.Build(CdnowSample.Load(), CdnowSample.CalibrationEnd, ClvTimeUnit.Days);

        Assert.Throws<ArgumentException>(() => service.Fit(daily));
    }

    private static IHost BuildHost(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddCrmMl();
        return builder.Build();
    }
}
