using Crm.Serverless.Core;
using Crm.Serverless.Core.Local;
using Crm.Serverless.Ml;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Cli;

/// <summary>
/// The CLI is a second host over the same services as the Functions app: same DI entry points, same options.
/// Defaults point at Azurite; environment variables (CrmStorage, Ingest__ReportingCurrency, ...) override them.
/// </summary>
internal static class CliHost
{
    public static IHost Build(IDictionary<string, string?>? overrides = null, Action<HostApplicationBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration
            .AddInMemoryCollection(new Dictionary<string, string?> { ["CrmStorage"] = AzuriteLauncher.ConnectionString })
            .AddEnvironmentVariables()
            .AddInMemoryCollection(overrides ?? new Dictionary<string, string?>());
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        // A host that fails to start logs the whole exception; the command line says what to do instead.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.AddCrmCore();
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
