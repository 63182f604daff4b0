using Crm.Serverless.Ml.Clv;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Crm.Serverless.Ml;

public static class MlServiceCollectionExtensions
{
    /// <summary>Registers the model services. Called by the Functions app, the CLI and the tests alike.</summary>
    public static IHostApplicationBuilder AddCrmMl(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ClvOptions>()
            .BindConfiguration(ClvOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ClvService>();
        return builder;
    }
}
