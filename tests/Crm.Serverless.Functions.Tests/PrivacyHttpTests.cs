using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Xunit.Abstractions;

namespace Crm.Serverless.Functions.Tests;

/// <summary>Erasure (Art. 17) and access (Art. 15) through the HTTP doors, checked by scanning every table.</summary>
[Collection(AzuriteCollection.Name)]
public class PrivacyHttpTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    private const string Subject = "subject-7";

    /// <summary>Shares a prefix with <see cref="Subject"/> and its partition may differ: its rows must survive the erase.</summary>
    private const string Neighbour = "subject-70";

    private static string Purchase(string customerId, int n, decimal amount = 10m)
        => string.Create(CultureInfo.InvariantCulture, $$"""{"transactionId":"t{{n:D4}}","customerId":"{{customerId}}","timestamp":"2024-01-01T00:00:00Z","amount":{{amount}},"currency":"USD"}""");

    private static async Task<HttpCall.Response> SendAsync(TestHost host, string method, string path, string? body, Func<CustomersHttp, HttpRequest, Task<IActionResult>>? customers = null)
    {
        var request = HttpCall.Request(method, path, body);
        return await HttpCall.InvokeAsync(request, r => customers is not null
            ? customers(host.Create<CustomersHttp>(), r)
            : path.EndsWith("contacts", StringComparison.Ordinal)
                ? host.Create<ContactsHttp>().Post(r, CancellationToken.None)
                : host.Create<TransactionsHttp>().Post(r, CancellationToken.None));
    }

    /// <summary>POST /api/privacy/erase with <c>{"customerId": id}</c>.</summary>
    private static Task<HttpCall.Response> EraseAsync(TestHost host, string customerId)
        => PrivacyAsync(host, "/api/privacy/erase", customerId, (f, r) => f.Erase(r, CancellationToken.None));

    /// <summary>POST /api/privacy/export with <c>{"customerId": id}</c>.</summary>
    private static Task<HttpCall.Response> ExportAsync(TestHost host, string customerId)
        => PrivacyAsync(host, "/api/privacy/export", customerId, (f, r) => f.Export(r, CancellationToken.None));

    private static Task<HttpCall.Response> PrivacyAsync(TestHost host, string path, string customerId, Func<PrivacyHttp, HttpRequest, Task<IActionResult>> function)
        => HttpCall.InvokeAsync(HttpCall.Request("POST", path, JsonSerializer.Serialize(new { customerId })), r => function(host.Create<PrivacyHttp>(), r));

    /// <summary>A contact, 250 purchases (three delete batches), an attributed and an unattributed rejected record.</summary>
    private static async Task SeedAsync(TestHost host, string customerId)
    {
        Assert.Equal(201, (await SendAsync(host, "POST", "/api/contacts", $$"""{"customerId":"{{customerId}}","email":"someone@example.com","firstName":"Ada"}""")).Status);
        foreach (var chunk in Enumerable.Range(0, 250).Chunk(125))
        {
            Assert.Equal(200, (await SendAsync(host, "POST", "/api/transactions", "[" + string.Join(',', chunk.Select(n => Purchase(customerId, n))) + "]")).Status);
        }

        var queue = host.Get<QueueIngestProcessor>();
        await queue.ProcessAsync($$"""{"type":"transaction","data":[{"transactionId":"bad","customerId":"{{customerId}}","timestamp":"2024-01-01T00:00:00Z","amount":-5,"currency":"USD"}]}""", "m-" + customerId, CancellationToken.None);
        await queue.ProcessAsync($$$"""{"type":"refund","data":{"customerId":"{{{customerId}}}"}}""", "whole-" + customerId, CancellationToken.None);
    }

    [Fact]
    public async Task Export_ReturnsContactEveryPurchaseAndRejectedRecords()
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());
        await SeedAsync(host, Subject);
        await SeedAsync(host, Neighbour);

        var response = await ExportAsync(host, Subject);

        Assert.Equal(200, response.Status);
        var json = response.Json;
        Assert.Equal(Subject, json.GetProperty("customerId").GetString());
        Assert.Equal("someone@example.com", json.GetProperty("contact").GetProperty("email").GetString());
        Assert.Equal(250, json.GetProperty("summary").GetProperty("count").GetInt32());
        var purchases = json.GetProperty("purchases").EnumerateArray().ToList();
        Assert.Equal(250, purchases.Count);
        Assert.Equal(Enumerable.Range(0, 250).Select(n => $"t{n:D4}"), purchases.Select(p => p.GetProperty("transactionId").GetString()).Order(StringComparer.Ordinal));
        var rejected = json.GetProperty("rejectedItems").EnumerateArray().ToList();
        Assert.Equal(2, rejected.Count);
        Assert.All(rejected, r => Assert.Contains($"\"{Subject}\"", r.GetProperty("payload").GetString(), StringComparison.Ordinal));
        Assert.DoesNotContain($"\"{Neighbour}\"", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_RemovesEveryRowOfTheCustomerInEveryTableAndNothingElse()
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());
        var tables = host.Get<CrmTables>();
        await SeedAsync(host, Subject);
        await SeedAsync(host, Neighbour);
        var neighbourBefore = await StorageRecount.RowsHoldingAsync(await tables.ListAllTablesAsync(CancellationToken.None), Neighbour);
        var subjectBefore = await StorageRecount.RowsHoldingAsync(await tables.ListAllTablesAsync(CancellationToken.None), Subject);

        var erase = await EraseAsync(host, Subject);

        var subjectAfter = await StorageRecount.RowsHoldingAsync(await tables.ListAllTablesAsync(CancellationToken.None), Subject);
        var neighbourAfter = await StorageRecount.RowsHoldingAsync(await tables.ListAllTablesAsync(CancellationToken.None), Neighbour);
        output.WriteLine($"Erase: rows holding the customer before {subjectBefore.Count} ({string.Join(", ", subjectBefore.GroupBy(r => r.Table).Select(g => $"{g.Key}: {g.Count()}"))}); " +
                         $"deleted {erase.Json.GetProperty("deletedRows")}; after {subjectAfter.Count}; neighbour rows before {neighbourBefore.Count}, after {neighbourAfter.Count}");
        Assert.Equal(200, erase.Status);
        // The customer row, 250 purchases, the summary row; two rejected records.
        Assert.Equal(1 + 250 + 1 + 2, subjectBefore.Count);
        var deleted = erase.Json.GetProperty("deletedRows");
        Assert.Equal(252, deleted.GetProperty(tables.Customers.Name).GetInt32());
        Assert.Equal(2, deleted.GetProperty(tables.Rejected.Name).GetInt32());
        Assert.Empty(subjectAfter);
        Assert.Empty(await BlobsHoldingAsync(host.Get<BlobServiceClient>(), host.Id, Subject));
        Assert.Equal(neighbourBefore.Count, neighbourAfter.Count);
        Assert.Empty(await StorageRecount.AggregateMismatchesAsync(tables.Customers));
    }

    [Fact]
    public async Task Delete_Twice_SecondAnswers404AndNothingIsLeftToGetOrExport()
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());
        await SeedAsync(host, Subject);
        await EraseAsync(host, Subject);

        var again = await EraseAsync(host, Subject);
        var view = await SendAsync(host, "GET", $"/api/customers/{Subject}", null, (f, r) => f.Get(r, Subject, CancellationToken.None));
        var export = await ExportAsync(host, Subject);

        Assert.Equal(404, again.Status);
        Assert.StartsWith("application/problem+json", again.ContentType, StringComparison.Ordinal);
        Assert.Equal(404, view.Status);
        Assert.Equal(404, export.Status);
    }

    [Fact]
    public async Task Ingest_AfterErase_StoresTheCustomerAfresh()
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());
        await SeedAsync(host, Subject);
        await EraseAsync(host, Subject);

        var again = await SendAsync(host, "POST", "/api/transactions", Purchase(Subject, 0, 7m));

        Assert.Equal(201, again.Status);
        var recount = (await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers))[Subject];
        Assert.Equal(1, recount.Purchases);
        Assert.Equal(1, recount.Customer!.PurchaseCount);
        Assert.Equal(7_0000, recount.Customer.TotalAmountScaled);
        Assert.False(recount.Customer.HasContact);
    }

    [Theory]
    [InlineData("a|b")]
    [InlineData("a/b")]
    [InlineData(" ")]
    public async Task DeleteAndExport_InvalidId_Return400WithoutTouchingStorage(string id)
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());
        await SeedAsync(host, "a");
        var before = (await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Customers)).Count;

        var erase = await EraseAsync(host, id);
        var export = await ExportAsync(host, id);

        Assert.Equal(400, erase.Status);
        Assert.Equal(400, export.Status);
        Assert.Contains("customerId", erase.Errors.Keys);
        Assert.Equal(before, (await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Customers)).Count);
    }

    [Theory]
    [InlineData("{}", "customerId")]
    [InlineData("""{"customerId":7}""", "customerId")]
    [InlineData("""{"customerId":null}""", "customerId")]
    [InlineData("""["subject-7"]""", "body")]
    [InlineData("""{"customerId":""", "body")]
    [InlineData("""{"customerId":"\uD800"}""", "customerId")]
    public async Task EraseAndExport_BodyWithoutAUsableCustomerId_Return400NamingTheField(string body, string field)
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());

        var erase = await HttpCall.InvokeAsync(HttpCall.Request("POST", "/api/privacy/erase", body), r => host.Create<PrivacyHttp>().Erase(r, CancellationToken.None));
        var export = await HttpCall.InvokeAsync(HttpCall.Request("POST", "/api/privacy/export", body), r => host.Create<PrivacyHttp>().Export(r, CancellationToken.None));

        Assert.Equal(400, erase.Status);
        Assert.Equal(400, export.Status);
        Assert.Equal([field], erase.Errors.Keys);
        Assert.Equal([field], export.Errors.Keys);
    }

    /// <summary>
    /// The app keeps no blobs today. A later stage that does is expected to name its containers with the
    /// environment's prefix, as tables are named; every such container of this test's host is scanned. (The shared
    /// Azurite also holds other runs' containers, which come and go while this test runs; they are not the app's.)
    /// </summary>
    private static async Task<List<string>> BlobsHoldingAsync(BlobServiceClient blobs, string prefix, string customerId)
    {
        var found = new List<string>();
        await foreach (var container in blobs.GetBlobContainersAsync(prefix: prefix.ToLowerInvariant()))
        {
            var client = blobs.GetBlobContainerClient(container.Name);
            await foreach (var blob in client.GetBlobsAsync())
            {
                var content = Encoding.UTF8.GetString((await client.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray());
                if (StorageRecount.Holds(blob.Name, customerId) || content.Contains($"\"{customerId}\"", StringComparison.Ordinal))
                {
                    found.Add(container.Name + "/" + blob.Name);
                }
            }
        }

        return found;
    }
}
