using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// Counts every HTTP request the storage clients send, retries included. Storage bills per request and the
/// nightly job is budgeted in requests per customer, so this is the number to watch, not emulator timings.
/// </summary>
public sealed class StorageRequestCounter : HttpPipelinePolicy
{
    private readonly ConcurrentDictionary<string, long> _byResource = new(StringComparer.OrdinalIgnoreCase);
    private long _count;
    private long _entitiesRead;

    public long Count => Interlocked.Read(ref _count);

    /// <summary>Rows brought back by <see cref="PartitionScanner"/> (point reads are requests, counted above).</summary>
    public long EntitiesRead => Interlocked.Read(ref _entitiesRead);

    public void AddEntitiesRead(int rows) => Interlocked.Add(ref _entitiesRead, rows);

    /// <summary>
    /// Requests whose path names <paramref name="resource"/> (a table, queue or container name) as a segment, so a
    /// test can show that a stage never touched, say, the Customers table. Entity-group batches go to <c>$batch</c>.
    /// </summary>
    public long RequestsTo(string resource) => _byResource.GetValueOrDefault(resource);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Tally(message);
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Tally(message);
        return ProcessNextAsync(message, pipeline);
    }

    private void Tally(HttpMessage message)
    {
        Interlocked.Increment(ref _count);
        foreach (var segment in message.Request.Uri.Path.Split('/', StringSplitOptions.RemoveEmptyEntries).Take(2))
        {
            var name = segment.Split('(')[0];
            _byResource.AddOrUpdate(name, 1, (_, n) => n + 1);
        }
    }
}
