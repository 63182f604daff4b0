using Crm.Serverless.Core.Ingestion;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// Creates tables and queues when the host starts, so requests never pay for it, and checks the configured
/// reporting currency against the store's: a mismatch stops the host here, before anything is mixed.
/// </summary>
public sealed class StorageInitializer(CrmTables tables, StoreCurrency currency, ILogger<StorageInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await tables.EnsureCreatedAsync(cancellationToken);
        await currency.GetAsync(cancellationToken);
        logger.LogInformation("Storage ready: tables {CustomersTable}, {RejectedTable}; queue {Queue}", tables.Customers.Name, tables.Rejected.Name, tables.IngestQueue.Name);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
