using Crm.Serverless.Local;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>
/// The real crm process answers what a user can get wrong with a message and an exit code, never a stack trace:
/// 2 when the command line itself is wrong, 1 when the files, the storage or the data are.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class CliErrorTests : IDisposable
{
    /// <summary>Port 9 (discard) on loopback has no storage behind it.</summary>
    private const string Unreachable = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;";

    private readonly string _folder = Directory.CreateTempSubdirectory("crm-errors-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string[], string> UsageErrors => new()
    {
        { ["demo", "--bogus"], "--bogus" },
        { ["import"], "--transactions" },
        { ["demo", "--as-of", "31/12/1997"], "YYYY-MM-DD" },
        { ["frobnicate"], "frobnicate" },
        { ["stores", "delete"], "delete" },
        { ["generate", "--customers", "-5", "--out", "x.csv"], "--customers must be a whole number from 1" },
        { ["generate", "--customers", "10", "--weeks", "0", "--out", "x.csv"], "--weeks must be more than 0" },
        { ["generate", "--customers", "abc", "--out", "x.csv"], "--customers must be a whole number from 1" },
        { ["generate", "--customers", "10", "--weeks", "many", "--out", "x.csv"], "--weeks must be more than 0" },
        { ["evaluate", "--transactions", "x.csv", "--as-of", "1997-06-30", "--as-of", "bad"], "--as-of must be a date as YYYY-MM-DD, not 'bad'" },
        { ["evaluate", "--transactions", "x.csv", "--recommendations", "--lines", "l.csv", "--holdout-days", "abc"], "--holdout-days must be a whole number from 1" },
        { ["bench", "--customers", "0"], "--customers must be a whole number of at least 1000" },
        { ["bench", "--customers", "5", "--sections", "compute"], "--customers must be a whole number of at least 1000" },
        { ["bench", "--customers", "1000", "--step-rows", "0"], "--step-rows must be a whole number of at least 1" },
        { ["bench", "--customers", "1000", "--calibration-customers", "0"], "--calibration-customers must be a whole number of at least 500" },
        { ["bench", "--customers", "1000", "--storage-customers", "10"], "--storage-customers must be a whole number of at least 500" },
    };

    [Theory]
    [MemberData(nameof(UsageErrors))]
    public async Task UsageError_ExitsOneNamingTheProblemAndWhereHelpIs(string[] args, string named)
    {
        var run = await RunAsync(args);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(named, run.Error, StringComparison.Ordinal);
        Assert.Contains("--help", run.Error, StringComparison.Ordinal);
        Assert.False(run.HasStackTrace, run.All);
    }

    [Theory]
    [InlineData("import")]
    [InlineData("demo")]
    public async Task MissingTransactionsFile_ExitsOneNamingTheFileNotStorage(string command)
    {
        var missing = Path.Combine(_folder, "missing.csv");

        var run = await RunAsync([command, "--transactions", missing]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("No such file: " + missing, run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Storage cannot be reached", run.All, StringComparison.Ordinal);
        Assert.False(run.HasStackTrace, run.All);
    }

    [Fact]
    public async Task MissingContactsFile_ExitsOneNamingIt()
    {
        var transactions = Path.Combine(_folder, "t.csv");
        await File.WriteAllTextAsync(transactions, "transactionId,customerId,timestamp,amount,currency\n");
        var missing = Path.Combine(_folder, "contacts.csv");

        var run = await RunAsync(["import", "--transactions", transactions, "--contacts", missing]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("No such file: " + missing, run.Error, StringComparison.Ordinal);
        Assert.False(run.HasStackTrace, run.All);
    }

    [Theory]
    [InlineData("import")]
    [InlineData("clv")]
    public async Task WrongHeader_ExitsOneNamingTheMissingColumns(string command)
    {
        var file = Path.Combine(_folder, "orders.csv");
        await File.WriteAllTextAsync(file, "order,client,when,total\n1,A,1997-01-01,10\n");
        string[] args = command == "clv"
            ? ["clv", "fit", "--transactions", file, "--calibration-end", "1997-06-30"]
            : ["import", "--transactions", file];

        var run = await RunAsync(args);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("transactionId", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Storage cannot be reached", run.All, StringComparison.Ordinal);
        Assert.False(run.HasStackTrace, run.All);
    }

    [Theory]
    [InlineData("export", "--out", "out.csv")]
    [InlineData("stores", "list")]
    [InlineData("models", "list")]
    public async Task StorageUnreachable_ExitsOneWithAdviceInsteadOfAStackTrace(params string[] args)
    {
        var run = await RunAsync(args, new Dictionary<string, string?> { ["CrmStorage"] = Unreachable, ["Storage__RetryMaxAttempts"] = "0" });

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Storage cannot be reached", run.Error, StringComparison.Ordinal);
        Assert.False(run.HasStackTrace, run.All);
    }

    [Theory]
    [InlineData("1shop")]
    [InlineData("my-shop")]
    [InlineData("crm")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456789")]
    public async Task InvalidStoreName_ExitsOneSayingWhatANameIs(string name)
    {
        var run = await RunAsync(["export", "--out", "out.csv", "--store", name]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"'{name}'", run.Error, StringComparison.Ordinal);
        Assert.Empty(run.Output);
        Assert.False(run.HasStackTrace, run.All);
    }

    [Fact]
    public async Task InvalidPrefixInTheEnvironment_ExitsOneNamingTheSetting()
    {
        var run = await RunAsync(["export", "--out", "out.csv"], new Dictionary<string, string?> { ["Storage__TablePrefix"] = "not-a-prefix" });

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Storage:TablePrefix", run.Error, StringComparison.Ordinal);
        Assert.False(run.HasStackTrace, run.All);
    }

    /// <summary>Against the test Azurite, in a folder of this test's own (it is also the repository root, so nothing is remembered in the real one).</summary>
    private Task<CliRun> RunAsync(string[] args, Dictionary<string, string?>? environment = null)
    {
        var values = new Dictionary<string, string?> { ["CrmStorage"] = AzuriteLauncher.ConnectionString, ["CRM_REPOSITORY_ROOT"] = _folder };
        foreach (var (key, value) in environment ?? [])
        {
            values[key] = value;
        }

        return CliProcess.RunAsync(args, values, _folder);
    }
}
