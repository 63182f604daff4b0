using Crm.Serverless.Core.Storage;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary><c>crm import --interactions FILE</c> through the real process: alone, resumable, rejected rows reported.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ImportInteractionsCliTests(AzuriteFixture azurite) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("crm-import-int-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task ImportInteractionsAlone_StoresGoodRows_SecondRunFindsThemStored_BadRowsGoToTheRejectedFile()
    {
        await using var host = await azurite.StartHostAsync();
        var store = new Dictionary<string, string?>
        {
            ["Storage__TablePrefix"] = host.Id,
            ["Ingest__QueueName"] = host.Id + "-ingest",
        };
        var file = Path.Combine(_folder, "interactions.csv");
        var rejected = Path.Combine(_folder, "rejected.csv");
        await File.WriteAllLinesAsync(file,
        [
            "interactionId,customerId,timestamp,channel,direction,type,rating,resolvedAt,campaignId,subject",
            "i1,c1,2024-01-01,email,inbound,complaint,,,,Where is my order",
            "i2,c1,2024-01-02T10:00:00Z,phone,outbound,support,4,2024-01-02T11:00:00Z,,",
            "i3,c2,2024-01-03,fax,inbound,inquiry,,,,",
        ]);

        var first = await CliProcess.RunAsync(["import", "--interactions", file, "--rejected", rejected], store);
        var second = await CliProcess.RunAsync(["import", "--interactions", file, "--rejected", rejected], store);
        var none = await CliProcess.RunAsync(["import"], store);

        Assert.Equal(0, first.ExitCode);
        Assert.Contains("2 stored", first.Output, StringComparison.Ordinal);
        Assert.Contains("2 already stored", second.Output, StringComparison.Ordinal);
        Assert.Contains("channel: must be one of", File.ReadAllText(rejected), StringComparison.Ordinal);
        // The import door of the real process: its console and log output never carry a subject.
        Assert.DoesNotContain("Where is my order", first.All + second.All, StringComparison.Ordinal);
        Assert.Equal(1, none.ExitCode);
        var rows = await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Interactions);
        Assert.Equal(2, rows.Count(r => !CrmKeys.IsCustomerRow(r.RowKey)));
    }
}
