using Crm.Serverless.Functions.Http;
using Crm.Serverless.Functions.Middleware;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Crm.Serverless.Functions;

public static class FunctionsServiceCollectionExtensions
{
    /// <summary>What the HTTP functions need beyond the core services; the tests call it too.</summary>
    public static IHostApplicationBuilder AddCrmFunctions(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<JsonBodyReader>();
        builder.Services.AddSingleton<IngestHttpHandler>();
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<RoleCheck>();
        return builder;
    }
}
