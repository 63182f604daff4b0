using System.Globalization;
using System.Text.Json;
using Crm.Serverless.Cli;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>`crm generate --lines` and `crm evaluate --recommendations` on files; in the Azurite collection because commands share the console.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class RecommendationCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("crm-recommend-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

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

    [Fact]
    public async Task GenerateWithLines_ThenEvaluate_AmountsAreLineSumsAndTheRecommenderBeatsBothBaselines()
    {
        var transactions = Path.Combine(_folder, "shop.csv");
        var lines = Path.Combine(_folder, "shop-lines.csv");
        var (generated, _) = await RunAsync("generate", "--customers", "6000", "--seed", "5", "--out", transactions, "--lines", lines);
        Assert.Equal(0, generated);

        // Every purchase's amount is the sum of its lines, and every line belongs to a purchase of the file.
        using (var transactionText = File.OpenText(transactions))
        using (var lineText = File.OpenText(lines))
        {
            var purchases = ParserFactory.CreateCsvReader().ReadTransactions(transactionText).Select(i => i.Value!).ToDictionary(t => t.TransactionId, t => t.Amount, StringComparer.Ordinal);
            var items = CsvItemReader.ReadLineItems(lineText).ToList();
            Assert.All(items, i => Assert.NotNull(i.Value));
            var sums = items.GroupBy(i => i.Value!.TransactionId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(i => i.Value!.Item.Quantity * i.Value.Item.Price), StringComparer.Ordinal);
            Assert.Equal(purchases.Keys.Order(StringComparer.Ordinal), sums.Keys.Order(StringComparer.Ordinal));
            Assert.All(purchases, p => Assert.Equal(p.Value, sums[p.Key]));
            Assert.All(items, i => Assert.False(string.IsNullOrEmpty(i.Value!.Item.Category)));
        }

        var (evaluated, json) = await RunAsync("evaluate", "--recommendations", "--transactions", transactions, "--lines", lines, "--holdout-days", "30", "--json");

        Assert.Equal(0, evaluated);
        var report = JsonDocument.Parse(json).RootElement;
        var rankers = report.GetProperty("rankers").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("hitRate").GetDouble());
        Assert.Equal(3, rankers.Count);
        var recommender = rankers.Single(r => r.Key.StartsWith("recommender", StringComparison.Ordinal)).Value;
        Assert.All(rankers.Where(r => !r.Key.StartsWith("recommender", StringComparison.Ordinal)), b => Assert.True(recommender >= 1.10 * b.Value, $"{recommender} vs {b.Key} {b.Value}"));
        Assert.True(report.GetProperty("customers").GetInt32() > 100);

        var (table, text) = await RunAsync("evaluate", "--recommendations", "--transactions", transactions, "--lines", lines);
        Assert.Equal(0, table);
        Assert.Contains("| ranker | hit rate@10 | recall@10 | NDCG@10 |", text, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"| {recommender:0.000} |"), text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateRecommendations_WithoutLines_IsAUsageError()
    {
        var (exitCode, _) = await RunAsync("evaluate", "--recommendations", "--transactions", Path.Combine(_folder, "none.csv"));

        Assert.Equal(CrmCommandLine.UsageError, exitCode);
    }
}
