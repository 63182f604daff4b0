using Crm.Serverless.Functions.Http;
using Crm.Serverless.Functions.Middleware;
using Crm.Serverless.Functions.Orchestration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Crm.Serverless.Functions;

public static class FunctionsServiceCollectionExtensions
{
    /// <summary>What the HTTP functions and the nightly orchestration's starter need beyond the core services; the tests call it too.</summary>
    public static IHostApplicationBuilder AddCrmFunctions(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<JsonBodyReader>();
        builder.Services.AddSingleton<IngestHttpHandler>();
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<RoleCheck>();
        builder.Services.AddSingleton<NightStarter>();
        return builder;
    }
}
