using Microsoft.Extensions.Hosting;

namespace Crm.Serverless.Cli.Stores;

/// <summary>
/// Names the store as the first line of every command that opens storage, and remembers a store chosen with
/// --store or by a demo. A hosted service so that every command that starts a host does it, including new ones,
/// and none that merely reads a file (clv fit, evaluate) prints it. Registered before the storage initializer, so
/// the line comes first even when storage cannot be reached.
/// </summary>
internal sealed class StoreBanner(Store store, string repositoryRoot) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Console.WriteLine(store.Describe());
        if (store.Remember)
        {
            RememberedStore.Save(repositoryRoot, store);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
