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

    public long Count => Interlocked.Read(ref _count);

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
