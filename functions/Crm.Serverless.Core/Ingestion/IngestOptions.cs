using System.ComponentModel.DataAnnotations;

namespace Crm.Serverless.Core.Ingestion;

/// <summary>Ingestion settings, bound from the "Ingest" configuration section and validated at start-up.</summary>
public sealed class IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>Queue the shop drops items on; the queue trigger reads the same setting.</summary>
    [Required, RegularExpression("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$", ErrorMessage = "Ingest:QueueName must be a valid storage queue name (3-63 lowercase letters, digits, single hyphens).")]
    public string QueueName { get; set; } = "crm-ingest";

    /// <summary>
    /// The one currency the store keeps amounts in. Optional: when unset, the store adopts the currency of the
    /// first purchase it accepts. Either way it is recorded once in the store (<see cref="StoreCurrency"/>), and a
    /// setting that differs from the recorded one stops the app rather than mixing currencies.
    /// </summary>
    [RegularExpression("^[A-Z]{3}$", ErrorMessage = "Ingest:ReportingCurrency must be an ISO 4217 code such as USD.")]
    public string? ReportingCurrency { get; set; }

    [Range(1, 500)]
    public int MaxBatchItems { get; set; } = 500;

    [Range(1024, 4 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>How far in the future a purchase timestamp may lie (clock skew between systems).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan FutureTolerance { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// The host's <c>maxDequeueCount</c> (host.json): a message with a refund or cancel whose purchase is not
    /// stored yet is retried until this delivery, and on it the item is recorded as rejected instead.
    /// </summary>
    [Range(1, 100)]
    public int QueueMaxDequeueCount { get; set; } = 5;
}
