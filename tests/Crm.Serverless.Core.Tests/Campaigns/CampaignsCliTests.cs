using System.Text.Json;
using Crm.Serverless.Local;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests.Campaigns;

/// <summary><c>crm campaigns</c> as a user runs it: the real process on a store of its own.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class CampaignsCliTests(AzuriteFixture azurite) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("crm-campaigns-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(new[] { "campaigns", "create", "x", "--segment", "loyal" }, "--segment is not a segment")]
    [InlineData(new[] { "campaigns", "create", "x", "--segment", "champions", "--control", "95%" }, "--control must be a percentage")]
    [InlineData(new[] { "campaigns", "create", "no spaces", "--segment", "champions" }, "NAME must be")]
    [InlineData(new[] { "campaigns", "report", "x", "--window", "0" }, "--window must be from 1")]
    public async Task UserError_ExitsOneWithAMessage(string[] args, string message)
    {
        var run = await RunAsync(args, "unused");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
        Assert.False(run.HasStackTrace, run.All);
    }

    [Fact]
    public async Task CreateExportListReport_OnAStore_AndAConflictIsAUserError()
    {
        var (host, run) = await CampaignShop.StartAsync(azurite, customers: 300);
        await using var _ = host;
        var segment = CampaignShop.LargestSegment(run);
        var file = Path.Combine(_folder, "treatment.csv");

        var created = await RunAsync(["campaigns", "create", "autumn", "--segment", segment, "--control", "20%", "--seed", "4", "--sent-at", "1998-07-01"], host.Id);
        var conflict = await RunAsync(["campaigns", "create", "Autumn", "--segment", segment], host.Id);
        var export = await RunAsync(["campaigns", "export", "autumn", file], host.Id);
        var list = await RunAsync(["campaigns", "list"], host.Id);
        var report = await RunAsync(["campaigns", "report", "autumn", "--json"], host.Id);
        var text = await RunAsync(["campaigns", "report", "autumn", "--window", "14"], host.Id);
        var missing = await RunAsync(["campaigns", "report", "winter"], host.Id);

        Assert.Equal(0, created.ExitCode);
        Assert.Contains("treatment", created.Output, StringComparison.Ordinal);
        Assert.Equal(1, conflict.ExitCode);
        Assert.Contains("exists already", conflict.Error, StringComparison.Ordinal);
        Assert.Equal(0, export.ExitCode);
        using var json = JsonDocument.Parse(report.Output[report.Output.IndexOf('{', StringComparison.Ordinal)..]);
        var treatment = json.RootElement.GetProperty("treatment").GetProperty("customers").GetInt32();
        var rows = File.ReadAllLines(file);
        Assert.Equal("customerId,email", rows[0]);
        Assert.Equal(treatment, rows.Length - 1);
        Assert.Contains("autumn", list.Output, StringComparison.Ordinal);
        Assert.Contains("Response uplift:", text.Output, StringComparison.Ordinal);
        Assert.Contains("margin per customer", text.Output, StringComparison.Ordinal);
        Assert.Contains("Margin uplift:", text.Output, StringComparison.Ordinal);
        Assert.Contains("window 14 days", text.Output, StringComparison.Ordinal);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("No campaign named 'winter'", missing.Error, StringComparison.Ordinal);
        Assert.All(new[] { created, conflict, export, list, report, text, missing }, r => Assert.False(r.HasStackTrace, r.All));
    }

    private Task<CliRun> RunAsync(string[] args, string store)
        => CliProcess.RunAsync(args, new Dictionary<string, string?>
        {
            ["CrmStorage"] = AzuriteLauncher.ConnectionString,
            ["CRM_REPOSITORY_ROOT"] = _folder,
            ["Storage__TablePrefix"] = store,
            ["Ingest__QueueName"] = store.ToLowerInvariant() + "-ingest",
        }, _folder);
}
