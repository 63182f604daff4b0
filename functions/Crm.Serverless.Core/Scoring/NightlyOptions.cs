using System.ComponentModel.DataAnnotations;

namespace Crm.Serverless.Core.Scoring;

/// <summary>The nightly retrain-and-score run, bound from the "Nightly" section and validated at start-up.</summary>
public sealed class NightlyOptions
{
    public const string Section = "Nightly";

    /// <summary>NCRONTAB (six fields, UTC); the timer trigger reads the same setting as %Nightly:Schedule%.</summary>
    [Required]
    public string Schedule { get; set; } = "0 0 2 * * *";

    /// <summary>How many factors explain each customer's churn score.</summary>
    [Range(1, 10)]
    public int ExplanationFactors { get; set; } = 3;

    /// <summary>
    /// Customers of each shard that the models train on (64 shards: 256,000 by default); the trainer caps its rows
    /// further (<c>Propensity:MaximumTrainingRows</c>). A shop below this trains on everyone, exactly as one process would.
    /// </summary>
    [Range(100, 1_000_000)]
    public int SampleCustomersPerShard { get; set; } = 4_000;

    /// <summary>An unfinished night with no progress for this long is stalled: a new start proceeds, and it can be resumed.</summary>
    [Range(1, 24 * 60)]
    public int StalledAfterMinutes { get; set; } = 60;

    /// <summary>Attempts of each stage activity in the Functions app's orchestration before the run is marked stalled.</summary>
    [Range(1, 20)]
    public int ActivityAttempts { get; set; } = 4;

    /// <summary>Seconds before an activity's first retry; each further retry waits twice as long.</summary>
    [Range(1, 3600)]
    public int ActivityRetrySeconds { get; set; } = 30;

    /// <summary>Partitions read in parallel when loading every customer's history.</summary>
    [Range(1, 64)]
    public int ReadParallelism { get; set; } = 8;

    /// <summary>
    /// Complete runs whose scores tables are kept, the current one included; older ones are deleted when a run is
    /// published. A run in progress is never pruned. Paging that began on a run keeps reading it while it is kept.
    /// </summary>
    [Range(1, 100)]
    public int RunRetention { get; set; } = 3;
}
