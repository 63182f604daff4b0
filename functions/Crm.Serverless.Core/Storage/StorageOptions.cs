using System.ComponentModel.DataAnnotations;

namespace Crm.Serverless.Core.Storage;

/// <summary>Names of the app's tables and the storage clients' retry policy, bound from the "Storage" section. The connection itself is "CrmStorage".</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>The connection setting shared with the queue trigger binding (<c>Connection = "CrmStorage"</c>).</summary>
    public const string ConnectionName = "CrmStorage";

    /// <summary>Prefix for every table name, so several environments or test runs can share one account.</summary>
    [RegularExpression("^([A-Za-z][A-Za-z0-9]{0,30})?$", ErrorMessage = "Storage:TablePrefix must be empty or start with a letter and hold only letters and digits (at most 31).")]
    public string TablePrefix { get; set; } = "";

    public string CustomersTable => TablePrefix + "Customers";

    public string RejectedTable => TablePrefix + "Rejected";

    /// <summary>The prefix of each run's own scores table, <c>{ScoresTable}{runId}</c> (<see cref="RunScoreKeys"/>).</summary>
    public string ScoresTable => TablePrefix + "Scores";

    public string RunsTable => TablePrefix + "Runs";

    /// <summary>Facts about the store itself, one row each (its reporting currency).</summary>
    public string SettingsTable => TablePrefix + "Settings";

    /// <summary>Every change of a customer's marketing consent, with its time and source.</summary>
    public string ConsentTable => TablePrefix + "ConsentHistory";

    /// <summary>Every interaction of a customer and their interaction aggregates (<see cref="InteractionWriter"/>).</summary>
    public string InteractionsTable => TablePrefix + "Interactions";

    /// <summary>Campaign records, one row each (no customer data).</summary>
    public string CampaignsTable => TablePrefix + "Campaigns";

    /// <summary>Campaign membership keyed by customer (erased and exported with the customer).</summary>
    public string CampaignMembersTable => TablePrefix + "CampaignMembers";

    /// <summary>Campaign membership keyed by campaign, so one campaign's members are one partition.</summary>
    public string CampaignIndexTable => TablePrefix + "CampaignIndex";

    /// <summary>Recent erasures per shard, as hashes of the customer id (<see cref="Privacy.EraseLog"/>).</summary>
    public string ErasuresTable => TablePrefix + "Erasures";

    /// <summary>Versioned model artefacts with their metrics (container names must be lower case).</summary>
    public string ModelsContainer => (TablePrefix + "models").ToLowerInvariant();

    /// <summary>Per-run scoring hand-offs: one blob of results per shard.</summary>
    public string RunsContainer => (TablePrefix + "runs").ToLowerInvariant();

    /// <summary>The start of every run's scratch container, <c>{RunsContainer}-{runId}</c> (<see cref="CrmTables.RunScratch"/>).</summary>
    public string RunScratchPrefix => RunsContainer + "-";

    /// <summary>
    /// Retries the storage SDK makes before a call fails (exponential back-off from <see cref="RetryDelay"/>).
    /// The SDK defaults suit Azure; tests that stop storage on purpose lower them so an outage surfaces in
    /// milliseconds, not the default ~6 s per call.
    /// </summary>
    [Range(0, 10)]
    public int RetryMaxAttempts { get; set; } = 3;

    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(0.8);

    /// <summary>How long one storage request may take before it is abandoned (and retried).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(100);
}
