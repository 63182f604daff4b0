using System.Text;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Scoring;

namespace Crm.Serverless.Cli.Stores;

/// <summary>Where the name of the store a command works on came from; it decides the first output line and whether it is remembered.</summary>
internal enum StoreSource
{
    /// <summary>Nothing chose one: the unprefixed tables, as the Functions app uses them by default.</summary>
    Default,

    /// <summary><c>--store NAME</c>.</summary>
    Option,

    /// <summary>An explicit <c>Storage__TablePrefix</c> (deployments and the tests set it); its queue names are left as configured.</summary>
    Environment,

    /// <summary>The store the last <c>crm demo</c> or <c>--store</c> used, read from <see cref="RememberedStore"/>.</summary>
    Remembered,

    /// <summary><c>crm demo</c> without --store: named after its transactions file.</summary>
    DataFile,
}

/// <summary>
/// A store is one data set in the storage account: its own tables and containers (the name is
/// <c>Storage:TablePrefix</c>) and its own queues (<c>{name}-ingest</c>, <c>{name}-score</c>), so two shops'
/// purchases, models, runs and reports never mix. The store "default" is the unprefixed one.
/// </summary>
internal sealed record Store(string Name, StoreSource Source, string? DataFile = null)
{
    public const string DefaultName = "default";

    /// <summary>Store names become table prefixes: letters and digits, starting with a letter (StorageOptions allows 31).</summary>
    public const int MaxLength = 31;

    /// <summary>The default store's queues are crm-ingest and crm-score; a store named "crm" would share them.</summary>
    private const string Reserved = "crm";

    public static Store Default { get; } = new("", StoreSource.Default);

    public bool IsDefault => Name.Length == 0;

    public string DisplayName => IsDefault ? DefaultName : Name;

    /// <summary>Whether the next command without --store should use this store too.</summary>
    public bool Remember => Source is StoreSource.Option or StoreSource.DataFile;

    /// <summary>
    /// The configuration that selects this store. A store chosen only by default or by the environment adds
    /// nothing, so the configured names (and any queue names set beside Storage__TablePrefix) stand.
    /// </summary>
    public IReadOnlyDictionary<string, string?> Settings => Source is StoreSource.Default or StoreSource.Environment
        ? new Dictionary<string, string?>()
        : SettingsFor(Name);

    public string Describe() => "Store: " + DisplayName + Source switch
    {
        StoreSource.Option => "",
        StoreSource.Environment => " (Storage__TablePrefix)",
        StoreSource.Remembered => " (last used; --store NAME for another)",
        StoreSource.DataFile => $" (named after {DataFile}; --store NAME for another)",
        _ => " (--store NAME for another)",
    };

    /// <summary>The configuration of the store with this table prefix, whatever chose it.</summary>
    public static Dictionary<string, string?> SettingsFor(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var lower = prefix.ToLowerInvariant();
        return new Dictionary<string, string?>
        {
            ["Storage:TablePrefix"] = prefix,
            ["Ingest:QueueName"] = prefix.Length == 0 ? new IngestOptions().QueueName : lower + "-ingest",
        };
    }

    /// <returns>What is wrong with <paramref name="name"/> as a store name, or null when it is one.</returns>
    public static string? Check(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > MaxLength || !char.IsAsciiLetter(name[0]) || !name.All(char.IsAsciiLetterOrDigit))
        {
            return $"'{name}' is not a store name: use 1-{MaxLength} letters and digits, starting with a letter (e.g. myshop2024)";
        }

        return name.Equals(Reserved, StringComparison.OrdinalIgnoreCase)
            ? $"'{name}' is reserved (the default store's queues are named crm-ingest and crm-score); pick another name"
            : null;
    }

    /// <summary>A checked name; "default" is the unprefixed store. Names are kept in lower case, as containers and queues need.</summary>
    public static Store Named(string name, StoreSource source)
    {
        if (Check(name) is { } problem)
        {
            throw new ArgumentException(problem, nameof(name));
        }

        var lower = name.ToLowerInvariant();
        return new Store(lower == DefaultName ? "" : lower, source);
    }

    /// <summary>
    /// The store named after a data file: its name's letters and digits in lower case, so the same file always
    /// lands in the same store (data/cdnow/cdnow_master.csv is "cdnowmaster").
    /// </summary>
    public static Store ForDataFile(FileInfo file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var name = new StringBuilder();
        foreach (var c in Path.GetFileNameWithoutExtension(file.Name))
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                name.Append(char.ToLowerInvariant(c));
            }
        }

        if (name.Length == 0 || !char.IsAsciiLetter(name[0]))
        {
            name.Insert(0, "shop");
        }

        var text = name.ToString()[..Math.Min(name.Length, MaxLength)];
        if (text is Reserved or DefaultName)
        {
            text += "shop";
        }

        return new Store(text, StoreSource.DataFile, file.Name);
    }

    /// <summary>The store a demo on <paramref name="file"/> uses: the one chosen with --store or the environment, else one named after the file.</summary>
    public Store OrNamedAfter(FileInfo file) => Source is StoreSource.Option or StoreSource.Environment ? this : ForDataFile(file);
}
