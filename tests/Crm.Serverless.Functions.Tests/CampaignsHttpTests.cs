using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Testing;
using Microsoft.AspNetCore.Http;

namespace Crm.Serverless.Functions.Tests;

[Collection(AzuriteCollection.Name)]
public class CampaignsHttpTests(AzuriteFixture azurite)
{
    private static async Task<HttpCall.Response> PostAsync(TestHost host, string body, string contentType = "application/json")
    {
        var request = HttpCall.Request("POST", "/api/campaigns", body, contentType);
        return await HttpCall.ExecuteAsync(await host.Create<CampaignsHttp>().Create(request, CancellationToken.None), request);
    }

    private static async Task<HttpCall.Response> ReportAsync(TestHost host, string name, string query = "")
    {
        var request = HttpCall.Request("GET", $"/api/campaigns/{name}/report");
        request.QueryString = new QueryString(query);
        return await HttpCall.ExecuteAsync(await host.Create<CampaignsHttp>().Report(request, name, CancellationToken.None), request);
    }

    [Fact]
    public async Task PostCampaign_CreatesOnce_ThenConflicts_AndTheReportAnswers()
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());
        await SeededShop.StoreAsync(host, 400, seed: 5);
        var noRun = await PostAsync(host, """{"name":"early","segment":"champions"}""");
        var run = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);
        var segment = run.Segments.MaxBy(s => s.Customers)!;

        var created = await PostAsync(host, $$"""{"name":"Winter-1","segment":"{{segment.Segment}}","controlShare":0.25,"seed":3,"sentAt":"1998-07-01T00:00:00Z"}""");
        var conflict = await PostAsync(host, $$"""{"name":"winter-1","segment":"{{segment.Segment}}"}""");
        var report = await ReportAsync(host, "winter-1", "?window=14");
        var listRequest = HttpCall.Request("GET", "/api/campaigns");
        var list = await HttpCall.ExecuteAsync(await host.Create<CampaignsHttp>().List(listRequest, CancellationToken.None), listRequest);

        Assert.Equal(404, noRun.Status);
        Assert.Equal(201, created.Status);
        Assert.Equal(segment.Customers, created.Json.GetProperty("treatment").GetInt32() + created.Json.GetProperty("control").GetInt32());
        Assert.Equal(run.RunId, created.Json.GetProperty("runId").GetString());
        Assert.Equal(409, conflict.Status);
        Assert.StartsWith("application/problem+json", conflict.ContentType, StringComparison.Ordinal);
        Assert.Equal(["name"], conflict.Errors.Keys);
        Assert.Equal(200, report.Status);
        Assert.Equal(14, report.Json.GetProperty("windowDays").GetInt32());
        Assert.Equal(created.Json.GetProperty("control").GetInt32(), report.Json.GetProperty("control").GetProperty("customers").GetInt32());
        Assert.Equal(0, report.Json.GetProperty("treatment").GetProperty("responders").GetInt32());
        Assert.Equal(0, report.Json.GetProperty("treatment").GetProperty("marginPerCustomer").GetDouble());
        Assert.StartsWith("too small to tell", report.Json.GetProperty("marginNote").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("Newcombe", report.Json.GetProperty("responseUplift").GetProperty("method").GetString(), StringComparison.Ordinal);
        Assert.Equal("Winter-1", Assert.Single(list.Json.GetProperty("campaigns").EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal(404, (await ReportAsync(host, "nope")).Status);
        Assert.Equal(400, (await ReportAsync(host, "winter-1", "?window=0")).Status);
    }

    [Theory]
    [InlineData("""{"segment":"champions"}""", "name")]
    [InlineData("""{"name":"bad name!","segment":"champions"}""", "name")]
    [InlineData("""{"name":"a","segment":"loyal"}""", "segment")]
    [InlineData("""{"name":"a","segment":"champions","controlShare":0.95}""", "controlShare")]
    [InlineData("""{"name":"a","segment":"champions","controlShare":"10%"}""", "controlShare")]
    [InlineData("""{"name":"a","segment":"champions","seed":1.5}""", "seed")]
    [InlineData("""{"name":"a","segment":"champions","marketableOnly":"yes"}""", "marketableOnly")]
    [InlineData("""{"name":"a","segment":"champions","sentAt":"1998-07-01"}""", "sentAt")]
    [InlineData("""[1]""", "body")]
    public async Task PostCampaign_BadField_Is400NamingIt(string body, string field)
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());

        var response = await PostAsync(host, body);

        Assert.Equal(400, response.Status);
        Assert.Equal([field], response.Errors.Keys);
    }

    [Fact]
    public async Task PostCampaign_NotJson_Is415()
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());

        Assert.Equal(415, (await PostAsync(host, "name=a", "application/x-www-form-urlencoded")).Status);
    }
}
