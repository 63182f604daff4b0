using Crm.Serverless.Ml.Propensity;
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
}
