using Azure.Storage.Queues.Models;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Storage;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Queues;

public sealed class IngestQueueTrigger(QueueIngestProcessor processor)
{
    /// <summary>
    /// Items dropped on the ingest queue. Invalid content is recorded and the message completes; a storage failure
    /// throws, so the host retries and, after maxDequeueCount (host.json), moves the message to the -poison queue.
    /// A refund or cancel that overtook its purchase also throws until the last delivery, then it is recorded.
    /// </summary>
    [Function("IngestQueue")]
    public Task Run(
        [QueueTrigger("%Ingest:QueueName%", Connection = StorageOptions.ConnectionName)] QueueMessage message,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return processor.ProcessAsync(message.Body.ToMemory(), message.MessageId, message.DequeueCount, cancellationToken);
    }
}
