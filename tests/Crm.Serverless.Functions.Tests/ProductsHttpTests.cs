using Crm.Serverless.Core.Nightly;
using System.Text;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Products;
using Crm.Serverless.Reporting;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Validation;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Testing;
using Microsoft.AspNetCore.Http;

namespace Crm.Serverless.Functions.Tests;

[Collection(AzuriteCollection.Name)]
public class ProductsHttpTests(AzuriteFixture azurite)
{
    private static async Task<HttpCall.Response> GetAsync(TestHost host, string query = "")
    {
        var request = HttpCall.Request("GET", "/api/products");
        request.QueryString = new QueryString(query);
        return await HttpCall.ExecuteAsync(await host.Create<ProductsHttp>().List(request, CancellationToken.None), request);
    }

    /// <summary>Five customers with lines in June 1998: A bought by all, B by three (one unit refunded), C by one.</summary>
    private static async Task StoreLinesAsync(TestHost host)
    {
        var json = new StringBuilder("[");
        for (var i = 1; i <= 5; i++)
        {
            var items = i switch
            {
                1 => """[{"sku":"A","quantity":1,"price":20},{"sku":"B","quantity":2,"price":5},{"sku":"C","quantity":1,"price":1}]""",
                2 or 3 => """[{"sku":"A","quantity":1,"price":20},{"sku":"B","quantity":1,"price":5}]""",
                _ => """[{"sku":"A","quantity":1,"price":20}]""",
            };
            json.Append(i > 1 ? "," : "").Append($$"""{"transactionId":"L{{i}}-1","customerId":"L{{i}}","timestamp":"1998-06-1{{i}}T10:00:00Z","amount":40,"currency":"USD","discountAmount":{{(i <= 2 ? 10 : 0)}},"items":{{items}}}""");
        }

        json.Append(""",{"transactionId":"L1-r","customerId":"L1","timestamp":"1998-06-20T10:00:00Z","amount":5,"currency":"USD","kind":"refund","refersTo":"L1-1","items":[{"sku":"B","quantity":1}]}]""");
        var body = host.Get<IngestJsonParser>().ParseTransactions(Encoding.UTF8.GetBytes(json.ToString()));
        var outcomes = await host.Get<IngestService>().IngestTransactionsAsync(body, IngestSource.Http, CancellationToken.None);
        Assert.All(outcomes, o => Assert.Equal(Core.Domain.IngestStatus.Accepted, o.Status));
    }

    [Fact]
    public async Task Products_AfterANightlyRun_PageThroughTheRunsFactsAndTheReportShowsTopsAndFlops()
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());
        await SeededShop.StoreAsync(host, 600, seed: 31);
        await StoreLinesAsync(host);
        var before = await GetAsync(host);
        var run = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);

        var skus = new List<string>();
        string? token = null;
        HttpCall.Response page;
        do
        {
            page = await GetAsync(host, "?pageSize=2" + (token is null ? "" : "&continuationToken=" + token));
            Assert.Equal(200, page.Status);
            skus.AddRange(page.Json.GetProperty("products").EnumerateArray().Select(p => p.GetProperty("sku").GetString()!));
            token = page.Json.TryGetProperty("continuationToken", out var next) ? next.GetString() : null;
        }
        while (token is not null);

        Assert.Equal(404, before.Status);
        Assert.Equal(run.RunId, page.Json.GetProperty("runId").GetString());
        Assert.Equal(["A", "B", "C"], skus);
        Assert.Equal(["A", "B"], page.Json.GetProperty("tops").EnumerateArray().Select(t => t.GetString()));
        var facts = (await host.Get<ProductFactsService>().ReadProductsAsync(run.RunId, CancellationToken.None))!;
        var b = facts.Products.Single(p => p.Sku == "B");
        Assert.Equal((3, 0.25), (b.Buyers, b.RefundRate));
        var discounts = (await host.Get<ProductFactsService>().ReadDiscountsAsync(run.RunId, CancellationToken.None))!;
        Assert.Equal(2, discounts.DiscountedOrders);
        var report = await host.Get<RunReportStore>().GetAsync(run.RunId, CancellationToken.None);
        Assert.Contains("id=\"chart-tops-flops\"", report, StringComparison.Ordinal);
        Assert.Contains("id=\"discount-table\"", report, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("?pageSize=0", "pageSize")]
    [InlineData("?pageSize=1001", "pageSize")]
    [InlineData("?continuationToken=abc", "continuationToken")]
    public async Task Products_BadPaging_IsAProblemNamingTheField(string query, string field)
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());

        var response = await GetAsync(host, query);

        Assert.Equal(400, response.Status);
        Assert.StartsWith("application/problem+json", response.ContentType, StringComparison.Ordinal);
        Assert.Equal(field, response.Json.GetProperty("errors").EnumerateObject().Single().Name);
    }
}
