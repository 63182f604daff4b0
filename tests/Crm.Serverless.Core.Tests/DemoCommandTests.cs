using Crm.Serverless.Cli;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>Runs the real command line in-process against Azurite, on tables of its own.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class DemoCommandTests(AzuriteFixture azurite) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("crm-demo-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Demo_RunTwice_SecondRunStoresNothingNewAndExportsEveryCustomer()
    {
        // The CLI reads its settings from the environment, like a user's shell; point it at this test's tables.
        await using var host = await azurite.StartHostAsync();
        var data = Path.Combine(_folder, "shop.csv");
        await File.WriteAllLinesAsync(data,
        [
            "transactionId,customerId,timestamp,amount,currency,quantity",
            "a-1,A,1997-01-01,11.77,USD,1",
            "a-2,A,1997-02-01,20.00,USD,2",
            "b-1,B,1997-01-03,5.50,USD,1",
        ]);
        var export = Path.Combine(_folder, "out.csv");
        Environment.SetEnvironmentVariable("Storage__TablePrefix", host.Id);
        Environment.SetEnvironmentVariable("Ingest__QueueName", host.Id + "-ingest");
        var console = Console.Out;
        try
        {
            var first = await RunAsync("demo", "--transactions", data, "--as-of", "1997-03-01");
            var second = await RunAsync("demo", "--transactions", data, "--export", export);

            Assert.Contains("3 stored, 0 already stored", first.Output, StringComparison.Ordinal);
            Assert.Contains("0 stored, 3 already stored", second.Output, StringComparison.Ordinal);
            Assert.Contains("Stored now: 3 transactions, 2 customers", second.Output, StringComparison.Ordinal);
            Assert.Contains("Not scored: CLV needs at least", second.Output, StringComparison.Ordinal);
            Assert.Equal(0, first.ExitCode);
            var lines = await File.ReadAllLinesAsync(export);
            Assert.Equal(3, lines.Length);
            Assert.Contains(lines, line => line.StartsWith("A,,,,,,2,31.77,", StringComparison.Ordinal));
            Assert.StartsWith("customerId,", lines[0], StringComparison.Ordinal);
            Assert.Contains("churnProbability", lines[0], StringComparison.Ordinal);
            var recount = await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers);
            Assert.Equal(3, recount.Values.Sum(c => c.Purchases));
        }
        finally
        {
            Console.SetOut(console);
            Environment.SetEnvironmentVariable("Storage__TablePrefix", null);
            Environment.SetEnvironmentVariable("Ingest__QueueName", null);
        }
    }

    [Fact]
    public async Task Demo_SimulatedShop_TrainsScoresAndExportsEveryCustomerWithSegmentAndClv()
    {
        await using var host = await azurite.StartHostAsync();
        var data = Path.Combine(_folder, "sim.csv");
        var lines = new List<string> { "transactionId,customerId,timestamp,amount,currency" };
        foreach (var customer in Ml.Simulation.ShopSimulator.Simulate(new Ml.Simulation.ShopSimulationOptions { Customers = 1500, Seed = 21, R = 0.6, Alpha = 5 }))
        {
            lines.AddRange(customer.History.Purchases.Select((p, i) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{customer.History.CustomerId}-{i},{customer.History.CustomerId},{p.TimestampUtc:yyyy-MM-ddTHH:mm:ssZ},{p.Amount:0.00},USD")));
        }

        await File.WriteAllLinesAsync(data, lines);
        var export = Path.Combine(_folder, "scored.csv");
        var report = Path.Combine(_folder, "report.html");
        Environment.SetEnvironmentVariable("Storage__TablePrefix", host.Id);
        Environment.SetEnvironmentVariable("Ingest__QueueName", host.Id + "-ingest");
        try
        {
            var result = await RunAsync("demo", "--transactions", data, "--as-of", "1998-03-31", "--export", export, "--report", report);

            Assert.Equal(0, result.ExitCode);
            Assert.Contains("as of 1998-03-31", result.Output, StringComparison.Ordinal);
            Assert.Contains("recency baseline", result.Output, StringComparison.Ordinal);
            Assert.Contains("Champions", result.Output, StringComparison.Ordinal);
            Assert.Contains("as of 1998-03-31: " + report, result.Output, StringComparison.Ordinal);
            Assert.Contains("<svg", await File.ReadAllTextAsync(report), StringComparison.Ordinal);
            var rows = (await File.ReadAllLinesAsync(export)).Select(line => line.Split(',')).ToList();
            var header = rows[0].ToList();
            var data_ = rows.Skip(1).ToList();
            Assert.Equal(1500, data_.Count);
            Assert.All(data_, row =>
            {
                Assert.NotEmpty(row[header.IndexOf("segment")]);
                Assert.True(double.Parse(row[header.IndexOf("clv")], System.Globalization.CultureInfo.InvariantCulture) >= 0);
                Assert.NotEmpty(row[header.IndexOf("pAlive")]);
            });
        }
        finally
        {
            Environment.SetEnvironmentVariable("Storage__TablePrefix", null);
            Environment.SetEnvironmentVariable("Ingest__QueueName", null);
        }
    }

    [Fact]
    public async Task Demo_BadAsOf_ExitsWithUsageError()
    {
        var result = await RunAsync("demo", "--as-of", "31/12/1997");

        Assert.NotEqual(0, result.ExitCode);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(output);
        try
        {
            var exitCode = await CrmCommandLine.RunAsync(args);
            return (exitCode, output.ToString());
        }
        finally
        {
            Console.SetOut(previous);
        }
    }
}
