using Crm.Serverless.Cli.Stores;
using Crm.Serverless.Core;
using Crm.Serverless.Local;
using Crm.Serverless.Ml;
using Crm.Serverless.Reporting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Cli;

/// <summary>
/// The CLI is a second host over the same services as the Functions app: same DI entry points, same options.
/// Defaults point at Azurite; environment variables (CrmStorage, Ingest__ReportingCurrency, ...) override them.
/// </summary>
internal static class CliHost
{
    // Async-local rather than static: in-process tests run the command line more than once, possibly at once.
    private static readonly AsyncLocal<Store?> CurrentStore = new();

    /// <summary>
    /// The store this run works on: chosen once by <see cref="CrmCommandLine"/> (--store, Storage__TablePrefix,
    /// the remembered one, the default); <c>crm demo</c> may name it after its data file before building its host.
    /// </summary>
    public static Store Store
    {
        get => CurrentStore.Value ?? Store.Default;
        set => CurrentStore.Value = value;
    }

    /// <param name="overrides">Settings over the environment; one naming Storage:TablePrefix picks its own store (bench, crm stores), and no store line is printed.</param>
    public static IHost Build(IDictionary<string, string?>? overrides = null, Action<HostApplicationBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var ownStore = overrides?.ContainsKey("Storage:TablePrefix") == true;
        builder.Configuration
            .AddInMemoryCollection(new Dictionary<string, string?> { ["CrmStorage"] = AzuriteLauncher.ConnectionString })
            .AddEnvironmentVariables()
            .AddInMemoryCollection(ownStore ? new Dictionary<string, string?>() : Store.Settings)
            .AddInMemoryCollection(overrides ?? new Dictionary<string, string?>());
        if (!ownStore)
        {
            var store = Store;
            builder.Services.AddHostedService(_ => new StoreBanner(store, RepositoryRoot()));
        }

        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        // A host that fails to start logs the whole exception; the command line says what to do instead.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.AddCrmCore();
        builder.AddCrmReporting();
        builder.AddCrmMl();
        configure?.Invoke(builder);
        return builder.Build();
    }

    public static string RepositoryRoot()
        => Environment.GetEnvironmentVariable("CRM_REPOSITORY_ROOT") is { Length: > 0 } root
            ? root
            : AzuriteLauncher.FindRepositoryRoot(Environment.CurrentDirectory)
              ?? AzuriteLauncher.FindRepositoryRoot(AppContext.BaseDirectory)
              ?? Environment.CurrentDirectory;
}
