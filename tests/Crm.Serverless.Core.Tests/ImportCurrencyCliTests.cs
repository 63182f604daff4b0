using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>
/// A shop export in EUR through the real <c>crm</c> process with no configuration: the store adopts EUR, and a
/// later file in USD is refused with one summary line per reason, not a line per row.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class ImportCurrencyCliTests(AzuriteFixture azurite) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("crm-import-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static Dictionary<string, string?> Store(TestHost host) => new()
    {
        ["Storage__TablePrefix"] = host.Id,
        ["Ingest__QueueName"] = host.Id + "-ingest",
    };

    private async Task<string> GenerateAsync(string name, int customers, string currency)
    {
        var path = Path.Combine(_folder, name);
        var run = await CliProcess.RunAsync(["generate", "--customers", customers.ToString(System.Globalization.CultureInfo.InvariantCulture), "--seed", "3", "--currency", currency, "--out", path]);
        Assert.Equal(0, run.ExitCode);
        return path;
    }

    [Fact]
    public async Task Import_EurFileWithoutConfiguration_IsStored_ThenUsdRowsGetOneSummaryLine()
    {
        await using var host = await azurite.StartHostAsync();
        var eur = await GenerateAsync("eur.csv", 400, "EUR");
        var usd = await GenerateAsync("usd.csv", 400, "USD");
        var usdRows = File.ReadLines(usd).Count() - 1;
        var rejected = Path.Combine(_folder, "rejected.csv");

        var first = await CliProcess.RunAsync(["import", "--transactions", eur], Store(host));
        var second = await CliProcess.RunAsync(["import", "--transactions", usd, "--rejected", rejected], Store(host));
        var configured = await CliProcess.RunAsync(["import", "--transactions", eur], new Dictionary<string, string?>(Store(host)) { ["Ingest__ReportingCurrency"] = "USD" });

        Assert.Equal(0, first.ExitCode);
        Assert.Contains("This store keeps amounts in EUR", first.Output, StringComparison.Ordinal);
        Assert.Contains($"{File.ReadLines(eur).Count() - 1:N0} stored", first.Output, StringComparison.Ordinal);

        Assert.Equal(1, second.ExitCode);
        Assert.False(second.HasStackTrace, second.All);
        var summary = Assert.Single(second.Output.Split('\n'), line => line.Contains("is USD but this store keeps amounts in EUR", StringComparison.Ordinal));
        Assert.StartsWith($"  {usdRows:N0} rows: currency:", summary, StringComparison.Ordinal);
        Assert.Contains("add amountInReportingCurrency", summary, StringComparison.Ordinal);
        Assert.InRange(second.Output.Split('\n').Length, 1, 12);
        Assert.Contains("No usable rows", second.Error, StringComparison.Ordinal);
        Assert.Equal(usdRows + 1, File.ReadLines(rejected).Count());

        Assert.Equal(1, configured.ExitCode);
        Assert.False(configured.HasStackTrace, configured.All);
        Assert.Contains("This store keeps amounts in EUR, but Ingest:ReportingCurrency is USD", configured.Error, StringComparison.Ordinal);
        var recount = await StorageRecount.RecountAsync(host.Get<Crm.Serverless.Core.Storage.CrmTables>().Customers);
        Assert.Equal(File.ReadLines(eur).Count() - 1, recount.Values.Sum(c => c.Purchases));
    }

    [Fact]
    public async Task Import_WrongHeader_NamesMissingAndFoundColumns()
    {
        await using var host = await azurite.StartHostAsync();
        var path = Path.Combine(_folder, "wrong.csv");
        await File.WriteAllLinesAsync(path, ["order;client;date;total;currency", "t1;c1;2024-01-01;10,00;EUR"]);

        var run = await CliProcess.RunAsync(["import", "--transactions", path], Store(host));

        Assert.Equal(1, run.ExitCode);
        Assert.False(run.HasStackTrace, run.All);
        Assert.Contains("lacks the column(s) transactionId, customerId, timestamp, amount; found order, client, date, total, currency", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_EurExport_StoresTrainsAndScoresWithNoConfiguration()
    {
        await using var host = await azurite.StartHostAsync();
        var eur = await GenerateAsync("shop-eur.csv", 1500, "EUR");

        var run = await CliProcess.RunAsync(["demo", "--transactions", eur, "--report", Path.Combine(_folder, "report.html")], Store(host), timeout: TimeSpan.FromMinutes(10));

        Assert.True(run.ExitCode == 0, run.All);
        Assert.False(run.HasStackTrace, run.All);
        Assert.Contains("This store keeps amounts in EUR", run.Output, StringComparison.Ordinal);
        Assert.Contains("status Complete", run.Output, StringComparison.Ordinal);
    }
}
