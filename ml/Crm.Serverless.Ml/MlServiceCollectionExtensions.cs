using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Recommendations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Ml;

public static class MlServiceCollectionExtensions
{
    /// <summary>Registers the model services. Called by the Functions app, the CLI and the tests alike.</summary>
    public static IHostApplicationBuilder AddCrmMl(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<PropensityOptions>()
            .BindConfiguration(PropensityOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => new PropensityTrainer(sp.GetRequiredService<IOptions<PropensityOptions>>().Value));
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PropensityOptions>>().Value;
            return new PromotionGate(options.PromotionAucTolerance, options.MinimumPromotableAuc, options.PromotionEceTolerance);
        });
        builder.Services.AddOptions<ClvOptions>()
            .BindConfiguration(ClvOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ClvService>();
        builder.Services.AddOptions<RecommenderOptions>()
            .BindConfiguration(RecommenderOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        return builder;
    }
}
