using System.Net;
using Crm.Serverless.Core;
using Crm.Serverless.Functions;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Local;
using Crm.Serverless.Ml;
using Crm.Serverless.Reporting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Cli.Serve;

/// <summary>Where <c>crm serve</c> listens and the keys it accepts. Port 0 picks a free port (the tests use it).</summary>
internal sealed record ServeSettings(int Port, string FunctionKey, string AdminKey);

/// <summary>
/// The HTTP functions of the Functions app in an ASP.NET Core host (Kestrel, loopback only), for trying the API
/// without Azure Functions Core Tools: the same DI entry points as Program.cs and the same function classes,
/// mapped from <see cref="HttpFunctionCatalog"/>, the facts the worker SDK writes to functions.metadata.
/// </summary>
internal static class ServeHost
{
    /// <summary>host.json's <c>extensions.http.routePrefix</c>; a test holds the two together.</summary>
    public const string RoutePrefix = "api";

    public static WebApplication Build(ServeSettings settings, IDictionary<string, string?>? overrides = null, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });

        // The same configuration as every other crm command (CliHost): Azurite by default, environment variables over
        // it, then the chosen store (--store, the remembered one), unless the caller names a table prefix itself.
        var ownStore = overrides?.ContainsKey("Storage:TablePrefix") == true;
        builder.Configuration.Sources.Clear();
        builder.Configuration
            .AddInMemoryCollection(new Dictionary<string, string?> { ["CrmStorage"] = AzuriteLauncher.ConnectionString })
            .AddEnvironmentVariables()
            .AddInMemoryCollection(ownStore ? new Dictionary<string, string?>() : CliHost.Store.Settings)
            .AddInMemoryCollection(overrides ?? new Dictionary<string, string?>());
        if (!ownStore)
        {
            var store = CliHost.Store;
            builder.Services.AddHostedService(_ => new Stores.StoreBanner(store, CliHost.RepositoryRoot()));
        }

        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, settings.Port));

        // The action results the functions return (OkObjectResult, ContentResult) run on MVC's result executors.
        builder.Services.AddMvcCore();
        builder.Services.AddSingleton(new ServeKeys(settings.FunctionKey, settings.AdminKey));
        builder.AddCrmCore();
        builder.AddCrmReporting();
        builder.AddCrmMl();
        builder.AddCrmFunctions();
        configure?.Invoke(builder);

        var app = builder.Build();
        FunctionEndpoint.MapAll(app, HttpFunctionCatalog.All);
        return app;
    }

    /// <summary>The started host's base URL, <c>http://127.0.0.1:PORT/api</c>.</summary>
    public static Uri BaseUrl(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.TrimEnd('/') + "/" + RoutePrefix);
    }
}
