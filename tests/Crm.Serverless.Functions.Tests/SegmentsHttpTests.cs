using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Testing;
using Microsoft.AspNetCore.Http;

namespace Crm.Serverless.Functions.Tests;

[Collection(AzuriteCollection.Name)]
public class SegmentsHttpTests(AzuriteFixture azurite)
{
    private static async Task<HttpCall.Response> GetAsync(TestHost host, string path, string query = "", string? accept = null)
    {
        var request = HttpCall.Request("GET", path);
        request.QueryString = new QueryString(query);
        if (accept is not null)
        {
            request.Headers.Accept = accept;
        }

        var segments = host.Create<SegmentsHttp>();
        var result = path == "/api/segments"
            ? await segments.List(request, CancellationToken.None)
            : await segments.Customers(request, path.Split('/')[3], CancellationToken.None);
        return await HttpCall.ExecuteAsync(result, request);
    }

    [Fact]
    public async Task Segments_AfterANightlyRun_ListPageAndStreamAsCsv()
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());
        var customers = await SeededShop.StoreAsync(host, 900, seed: 13);
        var before = await GetAsync(host, "/api/segments");
        var run = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: true, parallelism: 4, CancellationToken.None);

        var list = await GetAsync(host, "/api/segments");

        Assert.Equal(404, before.Status);
        Assert.Equal(200, list.Status);
        Assert.Equal(run.RunId, list.Json.GetProperty("runId").GetString());
        var sizes = list.Json.GetProperty("segments").EnumerateArray().ToDictionary(s => s.GetProperty("segment").GetString()!, s => s.GetProperty("customers").GetInt32());
        Assert.Equal(11, sizes.Count);
        Assert.Equal(customers, sizes.Values.Sum());

        // Page through the biggest segment three at a time: every customer once, in stable pages.
        var (name, size) = sizes.MaxBy(s => s.Value);
        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var query = "?pageSize=50" + (token is null ? "" : "&continuationToken=" + Uri.EscapeDataString(token));
            var page = await GetAsync(host, $"/api/segments/{name}/customers", query);
            Assert.Equal(200, page.Status);
            var items = page.Json.GetProperty("customers").EnumerateArray().ToList();
            Assert.InRange(items.Count, 0, 50);
            Assert.All(items, i => Assert.Equal(name, i.GetProperty("segment").GetString()));
            seen.AddRange(items.Select(i => i.GetProperty("customerId").GetString()!));
            token = page.Json.TryGetProperty("continuationToken", out var next) ? next.GetString() : null;
            pages++;
        }
        while (token is not null && pages < 1000);

        Assert.Equal(size, seen.Count);
        Assert.Equal(size, seen.Distinct().Count());

        var csv = await GetAsync(host, $"/api/segments/{name}/customers", "?format=csv");
        var byAccept = await GetAsync(host, $"/api/segments/{name}/customers", accept: "text/csv");

        Assert.Equal(200, csv.Status);
        Assert.StartsWith("text/csv", csv.ContentType, StringComparison.Ordinal);
        var lines = csv.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("customerId,marketingConsent,asOf,churnProbability", lines[0], StringComparison.Ordinal);
        Assert.Equal(size, lines.Length - 1);
        Assert.Equal(seen.Order(StringComparer.Ordinal), lines.Skip(1).Select(l => l.Split(',')[0]).Order(StringComparer.Ordinal));
        Assert.Equal(csv.Text, byAccept.Text);

        // The 360-degree view now carries the scores.
        var id = seen[0];
        var viewRequest = HttpCall.Request("GET", "/api/customers/" + id);
        var view = await HttpCall.ExecuteAsync(await host.Create<CustomersHttp>().Get(viewRequest, id, CancellationToken.None), viewRequest);
        var scores = view.Json.GetProperty("scores");
        Assert.Equal(name, scores.GetProperty("segment").GetString());
        Assert.True(scores.GetProperty("clv").GetDouble() >= 0);
        Assert.Equal(run.RunId, scores.GetProperty("runId").GetString());
    }

    [Fact]
    public async Task Segments_DuringARunWithAPoisonedShard_PageCsvAndCountsAgreeOnThePreviousRun_AndACsvThatFailsIsNever200()
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());
        await SeededShop.StoreAsync(host, 900, seed: 13);
        var job = host.Get<NightlyJob>();
        var tables = host.Get<Core.Storage.CrmTables>();
        var previous = await job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);
        var next = await job.StartAsync(SeededShop.EndOfData, CancellationToken.None);
        var plan = await host.Get<NightlyArtefacts>().ReadAsync<NightPlan>(NightlyArtefacts.Plan(next.RunId), CancellationToken.None);
        await job.RunStageAsync(plan, NightStage.SummariseShard, 4, CancellationToken.None);
        await job.RunStageAsync(plan, NightStage.FitModels, 1, CancellationToken.None);
        await host.Get<NightlyArtefacts>().Blob(NightlyArtefacts.Histories(next.RunId, 0)).DeleteAsync();
        await Assert.ThrowsAsync<NightStalledException>(() => job.RunStageAsync(plan, NightStage.ScoreShard, 4, CancellationToken.None));

        var list = await GetAsync(host, "/api/segments");
        Assert.Equal(previous.RunId, list.Json.GetProperty("runId").GetString());
        var (name, size) = list.Json.GetProperty("segments").EnumerateArray()
            .Select(s => (Name: s.GetProperty("segment").GetString()!, Size: s.GetProperty("customers").GetInt32())).MaxBy(s => s.Size);
        var paged = new List<string>();
        string? token = null;
        do
        {
            var page = await GetAsync(host, $"/api/segments/{name}/customers", "?pageSize=100" + (token is null ? "" : "&continuationToken=" + Uri.EscapeDataString(token)));
            Assert.Equal(previous.RunId, page.Json.GetProperty("runId").GetString());
            paged.AddRange(page.Json.GetProperty("customers").EnumerateArray().Select(c => c.GetProperty("customerId").GetString()!));
            token = page.Json.TryGetProperty("continuationToken", out var t) ? t.GetString() : null;
        }
        while (token is not null);

        // The CSV is answered with its exact length, after it was written whole, and the staged copy is gone.
        var csv = await GetAsync(host, $"/api/segments/{name}/customers", "?format=csv");
        Assert.Equal(size, paged.Distinct().Count());
        Assert.Equal(200, csv.Status);
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(csv.Text), csv.Headers.ContentLength);
        Assert.Equal(paged.Order(StringComparer.Ordinal), csv.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')[0]).Order(StringComparer.Ordinal));

        // Storage fails under the export (the run's table is gone): an error with problem details, not a 200 cut short.
        await tables.RunScores(previous.RunId).DeleteAsync();
        var request = HttpCall.Request("GET", $"/api/segments/{name}/customers");
        request.QueryString = new QueryString("?format=csv");
        var failed = await HttpCall.InvokeAsync(request, r => host.Create<SegmentsHttp>().Customers(r, name, CancellationToken.None));

        Assert.InRange(failed.Status, 500, 599);
        Assert.StartsWith("application/problem+json", failed.ContentType, StringComparison.Ordinal);
        var staged = 0;
        await foreach (var _ in tables.RunResults.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, Core.Export.CustomerCsvExporter.StagingPrefix, CancellationToken.None))
        {
            staged++;
        }

        Assert.Equal(0, staged);
    }

    [Theory]
    [InlineData("/api/segments/loyal/customers", "", 404)]
    [InlineData("/api/segments/champions/customers", "?pageSize=0", 400)]
    [InlineData("/api/segments/champions/customers", "?pageSize=5000", 400)]
    [InlineData("/api/segments/champions/customers", "?pageSize=abc", 400)]
    public async Task SegmentCustomers_BadRequest_ReturnsProblem(string path, string query, int status)
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());

        var response = await GetAsync(host, path, query);

        Assert.Equal(status, response.Status);
        Assert.StartsWith("application/problem+json", response.ContentType, StringComparison.Ordinal);
    }
}
