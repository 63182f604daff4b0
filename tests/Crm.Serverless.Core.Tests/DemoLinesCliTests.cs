using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>`crm demo --lines`: a shop with line items gets its top products and a recommendation example printed.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class DemoLinesCliTests(AzuriteFixture azurite) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("crm-demo-lines-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Demo_WithLines_PrintsTopProductsAndARecommendationExample()
    {
        await using var host = await azurite.StartHostAsync();
        var transactions = Path.Combine(_folder, "shop.csv");
        var lines = Path.Combine(_folder, "shop-lines.csv");
        var generated = await CliProcess.RunAsync(["generate", "--customers", "1500", "--seed", "9", "--out", transactions, "--lines", lines]);
        Assert.Equal(0, generated.ExitCode);
        var store = new Dictionary<string, string?>
        {
            ["Storage__TablePrefix"] = host.Id,
            ["Ingest__QueueName"] = host.Id + "-ingest",
        };

        var demo = await CliProcess.RunAsync(["demo", "--transactions", transactions, "--lines", lines, "--report", Path.Combine(_folder, "report.html")], store, timeout: TimeSpan.FromMinutes(10));

        Assert.Equal(0, demo.ExitCode);
        Assert.False(demo.HasStackTrace, demo.All);
        var top = Assert.Single(demo.Output.Split('\n'), l => l.StartsWith("Top products by revenue: ", StringComparison.Ordinal));
        Assert.Matches(@"^Top products by revenue: \S+ \([\d,]+, [\d,]+ buyers\)", top);
        Assert.Single(demo.Output.Split('\n'), l => l.StartsWith("Next best products for ", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(_folder, "report.html")));
    }
}
