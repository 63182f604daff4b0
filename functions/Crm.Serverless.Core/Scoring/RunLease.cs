using Azure;
using Azure.Storage.Blobs.Specialized;
using Crm.Serverless.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Scoring;

/// <summary>Another run holds the lease: this start did nothing.</summary>
public sealed class RunInProgressException(string message) : Exception(message);

/// <summary>
/// One run at a time: a 60-second blob lease on <c>nightly.lock</c> in the run results container, renewed every 20
/// seconds while the run prepares and hands off (and, in process, writes its shards), released at the end. A process
/// that dies stops renewing, so the lease lapses within a minute and the next start proceeds.
/// </summary>
public sealed class RunLease(CrmTables tables, ILogger<RunLease> logger)
{
    public const string LockBlob = "nightly.lock";
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(20);

    /// <exception cref="RunInProgressException">Another run holds the lease.</exception>
    public async Task<IAsyncDisposable> AcquireAsync(CancellationToken cancellationToken)
    {
        var blob = tables.RunResults.GetBlobClient(LockBlob);
        try
        {
            await blob.UploadAsync(BinaryData.Empty, overwrite: false, cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status is 409 or 412)
        {
            // The lock blob exists already (412: and is leased right now).
        }

        var lease = blob.GetBlobLeaseClient();
        try
        {
            await lease.AcquireAsync(Duration, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status == 409)
        {
            throw new RunInProgressException("Another scoring run is in progress (the nightly timer or another `crm score`); try again when it has finished.");
        }

        return new Held(lease, logger);
    }

    private sealed class Held : IAsyncDisposable
    {
        private readonly BlobLeaseClient _lease;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _renewing;

        public Held(BlobLeaseClient lease, ILogger logger)
        {
            _lease = lease;
            _renewing = RenewAsync(lease, logger, _stop.Token);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _renewing;
            _stop.Dispose();
            try
            {
                await _lease.ReleaseAsync();
            }
            catch (RequestFailedException)
            {
                // Lapsed or lost: either way it is not ours any more, and it expires by itself.
            }
        }

        private static async Task RenewAsync(BlobLeaseClient lease, ILogger logger, CancellationToken stop)
        {
            using var timer = new PeriodicTimer(RenewEvery);
            try
            {
                while (await timer.WaitForNextTickAsync(stop))
                {
                    try
                    {
                        await lease.RenewAsync(cancellationToken: stop);
                    }
                    catch (RequestFailedException exception)
                    {
                        logger.LogWarning("The run lease could not be renewed ({Status}); another run may start", exception.Status);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Disposed: the run is over.
            }
        }
    }
}
