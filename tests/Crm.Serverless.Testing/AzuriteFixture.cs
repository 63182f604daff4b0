using Crm.Serverless.Core;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Local;
using Crm.Serverless.Ml;
using Crm.Serverless.Reporting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Crm.Serverless.Testing;

/// <summary>
/// A real Azurite for storage tests: reuses one already listening (as .ci/run starts it), otherwise starts it
/// from the repository's package.json. Each test builds its own host with its own table and queue names.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public string RepositoryRoot { get; } = AzuriteLauncher.FindRepositoryRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("Tests must run inside the repository (Crm.Serverless.sln not found above the test output).");

    public async Task InitializeAsync() => await AzuriteLauncher.EnsureRunningAsync(RepositoryRoot, TextWriter.Null, CancellationToken.None);

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>
    /// A started host with the same DI entry points as the app, on tables and a queue no other test uses.
    /// <paramref name="configure"/> adds the entry points under test (e.g. AddCrmFunctions).
    /// </summary>
    public async Task<TestHost> StartHostAsync(Action<HostApplicationBuilder>? configure = null, IDictionary<string, string?>? settings = null)
    {
        var (id, values) = NewStore(settings);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(values);
        builder.AddCrmCore();
        builder.AddCrmReporting();
        builder.AddCrmMl();
        configure?.Invoke(builder);
        var host = builder.Build();
        await host.StartAsync();
        return new TestHost(host, id);
    }

    /// <summary>
    /// Settings for a store no other test uses: this Azurite, a fresh table prefix and queue names, then
    /// <paramref name="settings"/> on top. For hosts other than <see cref="StartHostAsync"/>'s (e.g. <c>crm serve</c>'s).
    /// </summary>
    public static (string Id, Dictionary<string, string?> Settings) NewStore(IDictionary<string, string?>? settings = null)
    {
        var id = "t" + Guid.NewGuid().ToString("N")[..12];
        var values = new Dictionary<string, string?>
        {
            [StorageOptions.ConnectionName] = AzuriteLauncher.ConnectionString,
            ["Storage:TablePrefix"] = id,
            ["Ingest:QueueName"] = id + "-ingest",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        return (id, values);
    }
}

/// <summary>xunit wants the collection definition in the test assembly; each test project declares one with this name.</summary>
public static class AzuriteCollection
{
    public const string Name = "Azurite";
}

/// <summary>A started host that deletes its tables and queues when disposed.</summary>
public sealed class TestHost(IHost host, string id) : IAsyncDisposable
{
    public string Id { get; } = id;

    public IServiceProvider Services => host.Services;

    public T Get<T>()
        where T : notnull
        => host.Services.GetRequiredService<T>();

    public T Create<T>()
        => ActivatorUtilities.CreateInstance<T>(host.Services);

    public async ValueTask DisposeAsync()
    {
        await host.Services.GetRequiredService<CrmTables>().DeleteAllAsync(CancellationToken.None);
        await host.StopAsync();
        host.Dispose();
    }
}
