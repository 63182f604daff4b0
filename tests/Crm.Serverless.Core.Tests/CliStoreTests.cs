using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Serverless.Local;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>
/// One store per data set, through the real crm process: two demos never mix, later commands use the store last
/// used and say so, and <c>crm stores</c> lists and deletes stores. Store names carry a GUID fragment because the
/// Azurite is shared; every test deletes its stores at the end.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class CliStoreTests : IAsyncLifetime
{
    private const string Header = "transactionId,customerId,timestamp,amount,currency";

    private readonly string _folder = Directory.CreateTempSubdirectory("crm-stores-").FullName;
    private readonly string _run = Guid.NewGuid().ToString("N")[..10];
    private readonly List<string> _stores = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await RunAsync("stores", "delete", store, "--yes");
        }

        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task TwoDemosOnTwoFiles_KeepTwoStoresThatNeverMix()
    {
        var shopA = await WriteShopAsync($"shop_a-{_run}.csv", ["a1,A1,1997-01-01,10.00,USD", "a2,A1,1997-02-01,12.00,USD", "a3,A2,1997-01-05,5.00,USD"]);
        var shopB = await WriteShopAsync($"Shop B {_run}.csv", ["b1,B1,1997-03-01,7.00,USD", "b2,B2,1997-03-02,8.00,USD", "b3,B3,1997-03-03,9.00,USD", "b4,B3,1997-03-04,9.50,USD"]);
        var storeA = Track($"shopa{_run}");
        var storeB = Track($"shopb{_run}");

        var demoA = await RunAsync("demo", "--transactions", shopA);
        var demoB = await RunAsync("demo", "--transactions", shopB);

        Assert.Equal(0, demoA.ExitCode);
        Assert.Contains($"Store: {storeA} (named after {Path.GetFileName(shopA)}; --store NAME for another)", demoA.Output, StringComparison.Ordinal);
        Assert.Contains("Stored now: 3 transactions, 2 customers", demoA.Output, StringComparison.Ordinal);
        Assert.Equal(0, demoB.ExitCode);
        Assert.Contains($"Store: {storeB} (named after", demoB.Output, StringComparison.Ordinal);
        Assert.Contains("Stored now: 4 transactions, 3 customers", demoB.Output, StringComparison.Ordinal);
        Assert.False(demoA.HasStackTrace || demoB.HasStackTrace, demoA.All + demoB.All);

        var list = await RunAsync("stores", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Matches($@"(?m)^  {storeA} +2 +3 +0\s*$", list.Output);
        Assert.Matches($@"(?m)^\* {storeB} +3 +4 +0\s*$", list.Output);

        // The second demo did not touch the first store: running the first again finds all of its rows, and only them.
        var again = await RunAsync("demo", "--transactions", shopA);
        Assert.Contains("0 stored, 3 already stored", again.Output, StringComparison.Ordinal);
        Assert.Contains("Stored now: 3 transactions, 2 customers", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DemoThatTrains_KeepsItsModelsRunsAndReportInItsOwnStore()
    {
        var shop = Path.Combine(_folder, $"trained{_run}.csv");
        var store = Track($"trained{_run}");
        var other = Track($"untrained{_run}");
        Assert.Equal(0, (await RunAsync("generate", "--customers", "1500", "--seed", "21", "--rate-shape", "0.6", "--out", shop)).ExitCode);

        var demo = await RunAsync("demo", "--transactions", shop);
        var models = await RunAsync("models", "list");
        var otherModels = await RunAsync("models", "list", "--store", other);
        var otherReport = await RunAsync("report", "--store", other);

        Assert.Equal(0, demo.ExitCode);
        Assert.Contains("1,500 customers scored", demo.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_folder, ".crm", $"report-{store}.html")), demo.Output);
        Assert.Equal($"Store: {store} (last used; --store NAME for another)", FirstLine(models.Output));
        Assert.Contains("churn-", models.Output, StringComparison.Ordinal);
        Assert.Contains("purchase-", models.Output, StringComparison.Ordinal);
        Assert.Equal(0, otherModels.ExitCode);
        Assert.DoesNotContain("churn-", otherModels.Output, StringComparison.Ordinal);
        Assert.Equal(1, otherReport.ExitCode);
        Assert.Contains("No scoring run has completed yet", otherReport.Error, StringComparison.Ordinal);

        // Every version names the last day its training labels saw, and every exported score names the models behind it.
        var listed = await RunAsync("models", "list", "--json", "--store", store);
        var versions = JsonNode.Parse(listed.Output[listed.Output.IndexOf('[', StringComparison.Ordinal)..])!.AsArray();
        Assert.Equal(2, versions.Count);
        Assert.All(versions, v => Assert.True(
            DateOnly.Parse(v!["trainingWindowEnd"]!.GetValue<string>(), CultureInfo.InvariantCulture) <= DateOnly.Parse(v["asOf"]!.GetValue<string>(), CultureInfo.InvariantCulture)));
        var file = Path.Combine(_folder, "trained.csv");
        Assert.Equal(0, (await RunAsync("export", "--out", file, "--store", store)).ExitCode);
        var lines = await File.ReadAllLinesAsync(file);
        var header = lines[0].Split(',');
        var churnColumn = Array.IndexOf(header, "churnModelVersion");
        var purchaseColumn = Array.IndexOf(header, "purchaseModelVersion");
        Assert.True(churnColumn > 0 && purchaseColumn > 0, lines[0]);
        var known = versions.Select(v => v!["version"]!.GetValue<string>()).Append("bgnbd").ToHashSet(StringComparer.Ordinal);
        Assert.Equal(1500, lines.Length - 1);
        Assert.All(lines.Skip(1).Select(l => l.Split(',')), cells =>
        {
            Assert.Contains(cells[churnColumn], known);
            Assert.Contains(cells[purchaseColumn], known);
            Assert.StartsWith(cells[churnColumn] == "bgnbd" ? "bgnbd" : "churn-", cells[churnColumn], StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Export_AfterADemo_UsesTheRememberedStoreAndNamesItFirst()
    {
        var shop = await WriteShopAsync($"remember{_run}.csv", ["r1,R1,1997-01-01,10.00,USD", "r2,R2,1997-01-02,11.00,USD"]);
        var store = Track($"remember{_run}");
        var other = Track($"other{_run}");
        Assert.Equal(0, (await RunAsync("demo", "--transactions", shop)).ExitCode);
        var file = Path.Combine(_folder, "export.csv");

        var export = await RunAsync("export", "--out", file);

        Assert.Equal(0, export.ExitCode);
        Assert.Equal($"Store: {store} (last used; --store NAME for another)", FirstLine(export.Output));
        Assert.Equal(3, (await File.ReadAllLinesAsync(file)).Length);

        // --store picks another store for this command (and is remembered); an explicit Storage__TablePrefix is next in line.
        var elsewhere = await RunAsync("export", "--out", file, "--store", other);
        Assert.Equal($"Store: {other}", FirstLine(elsewhere.Output));
        Assert.Single(await File.ReadAllLinesAsync(file));
        var fromEnvironment = await RunAsync(["export", "--out", file], new Dictionary<string, string?> { ["Storage__TablePrefix"] = store });
        Assert.Equal($"Store: {store} (Storage__TablePrefix)", FirstLine(fromEnvironment.Output));
        Assert.Equal(3, (await File.ReadAllLinesAsync(file)).Length);
    }

    [Fact]
    public async Task StoresDelete_WithoutYesAndWithoutATerminal_RefusesAndKeepsTheStore()
    {
        var shop = await WriteShopAsync($"keep{_run}.csv", ["k1,K1,1997-01-01,10.00,USD"]);
        var store = Track($"keep{_run}");
        Assert.Equal(0, (await RunAsync("demo", "--transactions", shop)).ExitCode);

        var refused = await RunAsync(["stores", "delete", store], standardInput: "y\n");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--yes", refused.Error, StringComparison.Ordinal);
        Assert.False(refused.HasStackTrace, refused.All);
        Assert.Matches($@"(?m)^\* {store} +1 +1 +0\s*$", (await RunAsync("stores", "list")).Output);
    }

    [Fact]
    public async Task StoresDelete_WithYes_RemovesTheStoreAndForgetsIt()
    {
        var shop = await WriteShopAsync($"gone{_run}.csv", ["g1,G1,1997-01-01,10.00,USD"]);
        var store = Track($"gone{_run}");
        Assert.Equal(0, (await RunAsync("demo", "--transactions", shop)).ExitCode);

        var deleted = await RunAsync("stores", "delete", store, "--yes");

        Assert.Equal(0, deleted.ExitCode);
        Assert.Contains($"Deleted store {store}", deleted.Output, StringComparison.Ordinal);
        Assert.Contains("remembered store", deleted.Output, StringComparison.Ordinal);
        var list = await RunAsync("stores", "list");
        Assert.DoesNotContain(store, list.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_folder, ".crm", "store")));
        var again = await RunAsync("stores", "delete", store, "--yes");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"No store '{store}'", again.Error, StringComparison.Ordinal);
    }

    private string Track(string store)
    {
        _stores.Add(store);
        return store;
    }

    private async Task<string> WriteShopAsync(string name, string[] rows)
    {
        var file = Path.Combine(_folder, name);
        await File.WriteAllLinesAsync(file, [Header, .. rows]);
        return file;
    }

    private static string FirstLine(string output) => output.Split('\n')[0].TrimEnd('\r');

    private Task<CliRun> RunAsync(params string[] args) => RunAsync(args, null);

    /// <summary>The test's folder is the repository root of these runs, so the remembered store is this test's alone.</summary>
    private Task<CliRun> RunAsync(string[] args, Dictionary<string, string?>? environment = null, string? standardInput = null)
    {
        var values = new Dictionary<string, string?> { ["CrmStorage"] = AzuriteLauncher.ConnectionString, ["CRM_REPOSITORY_ROOT"] = _folder };
        foreach (var (key, value) in environment ?? [])
        {
            values[key] = value;
        }

        return CliProcess.RunAsync(args, values, _folder, standardInput);
    }
}
