using System.Text;
using Crm.Serverless.Cli;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary><c>crm erase</c> in-process against Azurite, on tables of its own (same pattern as the demo tests).</summary>
[Collection(AzuriteCollection.Name)]
public sealed class EraseCommandTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Erase_RemovesEveryRowOfTheCustomerAndKeepsOthers()
    {
        await using var host = await azurite.StartHostAsync();
        var parser = host.Get<IngestJsonParser>();
        var ingest = host.Get<IngestService>();
        var purchases = string.Join(',', Enumerable.Range(0, 120).Select(n => $$"""{"transactionId":"t{{n}}","customerId":"{{(n % 2 == 0 ? "gone" : "stays")}}","timestamp":"2024-01-01T00:00:00Z","amount":1,"currency":"USD"}"""));
        await ingest.IngestTransactionsAsync(parser.ParseTransactions(Encoding.UTF8.GetBytes("[" + purchases + "]")), IngestSource.Http, CancellationToken.None);
        await host.Get<QueueIngestProcessor>().ProcessAsync("""{"type":"contact","data":{"customerId":"gone","email":"bad"}}""", "m1", CancellationToken.None);
        Environment.SetEnvironmentVariable("Storage__TablePrefix", host.Id);
        Environment.SetEnvironmentVariable("Ingest__QueueName", host.Id + "-ingest");
        try
        {
            var (exitCode, output) = await RunAsync("erase", "gone");

            Assert.Equal(0, exitCode);
            // 60 purchases, the customer row, the summary row and the rejected contact.
            Assert.Contains("63 rows deleted", output, StringComparison.Ordinal);
            var tables = host.Get<CrmTables>();
            Assert.Empty(await StorageRecount.RowsHoldingAsync(await tables.ListAllTablesAsync(CancellationToken.None), "gone"));
            Assert.Equal(62, (await StorageRecount.RowsHoldingAsync(await tables.ListAllTablesAsync(CancellationToken.None), "stays")).Count);
        }
        finally
        {
            Environment.SetEnvironmentVariable("Storage__TablePrefix", null);
            Environment.SetEnvironmentVariable("Ingest__QueueName", null);
        }
    }

    [Fact]
    public async Task Erase_InvalidId_ExitsWithUsageError()
    {
        var (exitCode, _) = await RunAsync("erase", "a|b");

        Assert.Equal(1, exitCode);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(output);
        try
        {
            return (await CrmCommandLine.RunAsync(args), output.ToString());
        }
        finally
        {
            Console.SetOut(previous);
        }
    }
}
