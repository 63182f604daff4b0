using Azure.Core;
using Azure.Core.Pipeline;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// Counts every HTTP request the storage clients send, retries included. Storage bills per request and the
/// nightly job is budgeted in requests per customer, so this is the number to watch, not emulator timings.
/// </summary>
public sealed class StorageRequestCounter : HttpPipelinePolicy
{
    private long _count;
    private long _entitiesRead;

    public long Count => Interlocked.Read(ref _count);

    /// <summary>Rows brought back by <see cref="PartitionScanner"/> (point reads are requests, counted above).</summary>
    public long EntitiesRead => Interlocked.Read(ref _entitiesRead);

    public void AddEntitiesRead(int rows) => Interlocked.Add(ref _entitiesRead, rows);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _count);
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _count);
        return ProcessNextAsync(message, pipeline);
    }
}
