using Crm.Serverless.Core.Nightly;
using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Privacy;
using Crm.Serverless.Core.Recommendations;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Functions.Tests;

[Collection(AzuriteCollection.Name)]
public class RecommendationsHttpTests(AzuriteFixture azurite)
{
    private static string Purchase(string customer, string id, string at, params string[] skus)
        => string.Create(CultureInfo.InvariantCulture,
            $$"""{"transactionId":"{{id}}","customerId":"{{customer}}","timestamp":"{{at}}","amount":{{skus.Length * 10}},"currency":"USD","items":[{{string.Join(',', skus.Select(s => $$"""{"sku":"{{s}}","quantity":1,"price":10}"""))}}]}""");

    private static async Task IngestAsync(TestHost host, IEnumerable<string> items, bool contacts = false)
    {
        var body = Encoding.UTF8.GetBytes("[" + string.Join(',', items) + "]");
        var parser = host.Get<IngestJsonParser>();
        var ingest = host.Get<IngestService>();
        var outcomes = contacts
            ? await ingest.IngestContactsAsync(parser.ParseContacts(body), IngestSource.Http, CancellationToken.None)
            : await ingest.IngestTransactionsAsync(parser.ParseTransactions(body), IngestSource.Http, CancellationToken.None);
        Assert.All(outcomes, o => Assert.Equal(IngestStatus.Accepted, o.Status));
    }

    private static async Task<HttpCall.Response> GetAsync(TestHost host, string customerId, bool view = false)
    {
        var request = HttpCall.Request("GET", $"/api/customers/{customerId}" + (view ? "" : "/recommendations"));
        var http = host.Create<CustomersHttp>();
        return await HttpCall.ExecuteAsync(view ? await http.Get(request, customerId, CancellationToken.None) : await http.GetRecommendations(request, customerId, CancellationToken.None), request);
    }

    /// <summary>Every customer's own recommendations of one run: the score rows that hold some (the layout checked by <see cref="StorageRecount.RunScoresAsync"/>).</summary>
    internal static async Task<List<CustomerRecommendations>> RunRowsAsync(TestHost host, string runId)
        => [.. (await StorageRecount.RunScoresAsync(host.Get<CrmTables>(), runId)).Select(r => r.ToRecommendations()).OfType<CustomerRecommendations>()];

    private static List<string> Skus(HttpCall.Response response, string property = "items")
        => [.. response.Json.GetProperty(property).EnumerateArray().Select(i => i.GetProperty("sku").GetString()!)];

    [Fact]
    public async Task NightlyRun_WithLines_ServesRecommendationsWithoutRefundedOrUnknownCustomersAndEraseRemovesThem()
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());

        // "x" is bought with "a" by everyone, so it is the sku most like "a" and the most popular one.
        var purchases = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            purchases.Add(Purchase($"o{i:D2}", $"o{i}-1", "2024-01-10T10:00:00Z", "a", "x", i % 2 == 0 ? "y" : "z"));
            purchases.Add(Purchase($"o{i:D2}", $"o{i}-2", "2024-03-10T10:00:00Z", "w"));
        }

        // "me" bought "a", and "x" which was refunded in full; "gone" is erased before the run.
        purchases.Add(Purchase("me", "m-1", "2024-02-01T10:00:00Z", "a"));
        purchases.Add(Purchase("me", "m-2", "2024-02-02T10:00:00Z", "x"));
        purchases.Add(Purchase("gone", "g-1", "2024-02-01T10:00:00Z", "a", "y"));
        await IngestAsync(host, purchases);
        await IngestAsync(host, ["""{"transactionId":"m-3","customerId":"me","timestamp":"2024-02-05T10:00:00Z","amount":10,"currency":"USD","kind":"refund","refersTo":"m-2"}"""]);
        await IngestAsync(host, ["""{"customerId":"cold","email":"cold@example.invalid"}"""], contacts: true);
        await host.Get<CustomerPrivacyService>().EraseAsync("gone", CancellationToken.None);

        var run = await host.Get<NightlyJob>().RunAsync(new DateOnly(2024, 4, 1), train: false, parallelism: 4, CancellationToken.None);

        // Recommendations in the score row of each stored customer with purchases, in this run's own table, and none for a customer not stored.
        var rows = await RunRowsAsync(host, run.RunId);
        Assert.Equal(["me", .. Enumerable.Range(0, 20).Select(i => $"o{i:D2}")], rows.Select(r => r.CustomerId).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal(run.RunId, r.RunId));

        // One entity per customer scored, the recommendations in it, and the run's popular skus: nothing else in the run's table.
        Assert.Equal(rows.Count + 1, (await StorageRecount.AllRowsAsync(host.Get<CrmTables>().RunScores(run.RunId))).Count);

        var me = await GetAsync(host, "me");
        Assert.Equal(200, me.Status);
        var mine = Skus(me);
        Assert.DoesNotContain("x", mine);
        Assert.DoesNotContain("a", mine);
        Assert.Equal("w", mine[0]);
        Assert.Equal([1, 2], me.Json.GetProperty("items").EnumerateArray().Take(2).Select(i => i.GetProperty("rank").GetInt32()));

        // A customer with no purchases has no row of their own and gets the run's popular skus by decayed buyers (half-life 365 days, as of April 1):
        // w 20 x 0.96 (March), a 20 x 0.86 + 0.89 (January, and "me" in February), x 20 x 0.86.
        Assert.Equal(["w", "a", "x"], Skus(await GetAsync(host, "cold")).Take(3));

        // One never stored, or erased, gets a 404 problem.
        var unknown = await GetAsync(host, "nobody");
        Assert.Equal(404, unknown.Status);
        Assert.StartsWith("application/problem+json", unknown.ContentType, StringComparison.Ordinal);
        Assert.Equal(404, (await GetAsync(host, "gone")).Status);

        // The 360 view shows the top 5.
        var view = await GetAsync(host, "o00", view: true);
        var top = Skus(view, "recommendations");
        Assert.InRange(top.Count, 1, 5);
        Assert.Equal(Skus(await GetAsync(host, "o00")).Take(5), top);

        // The export lists every customer's ranks; erasing a customer removes their row.
        using (var writer = new StringWriter())
        {
            Assert.Equal(21, await host.Get<RecommendationReader>().WriteCsvAsync(writer, CancellationToken.None));
            var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("customerId,rank,sku,score", lines[0].TrimEnd('\r'));
            Assert.Contains(lines, l => l.StartsWith("me,1,w,", StringComparison.Ordinal));
        }

        // A run of an older build kept a customer's recommendations in a row of their own: served while that run is current.
        var tables = host.Get<CrmTables>();
        var o01 = (await CustomerScoreRows.FindScoreAsync(tables.Scanner, tables.RunScores(run.RunId), "o01", CancellationToken.None))!;
        var legacy = RecommendationEntity.From(o01.ToRecommendations()! with { Items = [new RecommendedSku(1, "legacy-sku", 1)] });
        o01.RecommendationsJson = null;
        await tables.RunScores(run.RunId).UpdateEntityAsync(o01, Azure.ETag.All, TableUpdateMode.Replace);
        await tables.RunScores(run.RunId).UpsertEntityAsync(legacy);
        Assert.Equal(["legacy-sku"], Skus(await GetAsync(host, "o01")));
        Assert.Equal(2, (await host.Get<CustomerPrivacyService>().ExportAsync("o01", CancellationToken.None))!.OtherRecords[tables.RunScores(run.RunId).Name].Count);

        var erased = await host.Get<CustomerPrivacyService>().EraseAsync("me", CancellationToken.None);
        Assert.Equal(1, erased.DeletedRows[host.Get<CrmTables>().RunScores(run.RunId).Name]);
        Assert.Equal(404, (await GetAsync(host, "me")).Status);
        Assert.Null(await CustomerScoreRows.FindScoreAsync(host.Get<CrmTables>().Scanner, host.Get<CrmTables>().RunScores(run.RunId), "me", CancellationToken.None));
        Assert.DoesNotContain("me", (await RunRowsAsync(host, run.RunId)).Select(r => r.CustomerId));
    }
}
