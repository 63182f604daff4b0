using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Reporting;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Functions.Tests;

[Collection(AzuriteCollection.Name)]
public class ReportHttpTests(AzuriteFixture azurite)
{
    private static async Task<HttpCall.Response> GetAsync(TestHost host)
    {
        var request = HttpCall.Request("GET", "/api/report");
        return await HttpCall.ExecuteAsync(await host.Create<ReportHttp>().Get(request, CancellationToken.None), request);
    }

    [Fact]
    public async Task GetReport_ServesTheLatestRunsStoredReportAsHtml()
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());
        await SeededShop.StoreAsync(host, 700, seed: 21);
        var before = await GetAsync(host);
        var run = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: true, parallelism: 4, CancellationToken.None);

        var response = await GetAsync(host);

        Assert.Equal(404, before.Status);
        Assert.StartsWith("application/problem+json", before.ContentType, StringComparison.Ordinal);
        Assert.Equal(200, response.Status);
        Assert.Equal("text/html; charset=utf-8", response.ContentType);
        Assert.Equal(await host.Get<RunReportStore>().GetAsync(run.RunId, CancellationToken.None), response.Text);
        Assert.Contains(run.RunId, response.Text, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", response.Headers.ContentSecurityPolicy.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetReport_CompleteRunWithoutAStoredReport_IsNotFoundUntilPublished()
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());
        await SeededShop.StoreAsync(host, 600, seed: 22);
        var run = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: true, parallelism: 4, CancellationToken.None);
        var tables = host.Get<Core.Storage.CrmTables>();
        await tables.RunResults.DeleteBlobAsync(RunReportStore.BlobName(run.RunId));

        var missing = await GetAsync(host);

        // The report is rebuilt from the run's artefacts (its report inputs), not from history.
        await host.Get<RunReportStore>().EnsurePublishedAsync(run, CancellationToken.None);
        var published = await GetAsync(host);

        Assert.Equal(404, missing.Status);
        Assert.Contains(run.RunId, missing.Text, StringComparison.Ordinal);
        Assert.Equal(200, published.Status);
        Assert.Contains("<svg", published.Text, StringComparison.Ordinal);
    }
}
