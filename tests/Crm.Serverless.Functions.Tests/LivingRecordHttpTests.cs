using System.Globalization;
using Azure.Storage.Queues.Models;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Functions.Queues;
using Crm.Serverless.Testing;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

namespace Crm.Serverless.Functions.Tests;

/// <summary>Issue 11 through the doors: contact updates, consent honoured at once, refunds and cancels on HTTP and the queue.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class LivingRecordHttpTests(AzuriteFixture azurite, ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("crm-record-http-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private Task<TestHost> StartAsync() => azurite.StartHostAsync(builder => builder.AddCrmFunctions());

    private static Task<HttpCall.Response> PostContactsAsync(TestHost host, string body)
        => HttpCall.InvokeAsync(HttpCall.Request("POST", "/api/contacts", body), r => host.Create<ContactsHttp>().Post(r, CancellationToken.None), "PostContacts");

    private static Task<HttpCall.Response> PostTransactionsAsync(TestHost host, string body)
        => HttpCall.InvokeAsync(HttpCall.Request("POST", "/api/transactions", body), r => host.Create<TransactionsHttp>().Post(r, CancellationToken.None), "PostTransactions");

    private static async Task<HttpCall.Response> GetSegmentAsync(TestHost host, string name, string query)
    {
        var request = HttpCall.Request("GET", $"/api/segments/{name}/customers");
        request.QueryString = new QueryString(query);
        return await HttpCall.ExecuteAsync(await host.Create<SegmentsHttp>().Customers(request, name, CancellationToken.None), request);
    }

    private static QueueMessage Message(string text, string id, long dequeueCount)
        => QueuesModelFactory.QueueMessage(id, "pop", BinaryData.FromString(text), dequeueCount);

    private const string Purchase = """{"transactionId":"p1","customerId":"q1","timestamp":"2024-05-01T10:00:00Z","amount":80,"currency":"USD"}""";
    private const string Refund = """{"transactionId":"rf1","customerId":"q1","timestamp":"2024-05-03T10:00:00Z","amount":30,"currency":"USD","kind":"refund","refersTo":"p1"}""";

    [Fact]
    public async Task PostContacts_UpdateStaleAndDuplicate_AnswerPerItem()
    {
        await using var host = await StartAsync();

        var created = await PostContactsAsync(host, """{"customerId":"h1","email":"a@example.com","updatedAt":"2024-01-01T00:00:00Z"}""");
        var updated = await PostContactsAsync(host, """{"customerId":"h1","email":"b@example.com","updatedAt":"2024-01-02T00:00:00Z"}""");
        var stale = await PostContactsAsync(host, """{"customerId":"h1","email":"old@example.com","updatedAt":"2023-01-01T00:00:00Z"}""");
        var batch = await PostContactsAsync(host, """[{"customerId":"h1","email":"b@example.com","updatedAt":"2024-01-02T00:00:00Z"},{"customerId":"h1","country":"FR","updatedAt":"2024-01-03T00:00:00Z"},{"customerId":"h2"},{"customerId":"h3","updatedAt":"someday"}]""");

        Assert.Equal(201, created.Status);
        Assert.Equal((200, "updated"), (updated.Status, updated.Json.GetProperty("status").GetString()));
        Assert.Equal((200, "stale"), (stale.Status, stale.Json.GetProperty("status").GetString()));
        Assert.Equal(200, batch.Status);
        Assert.Equal(["duplicate", "updated", "accepted", "rejected"], batch.Json.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("status").GetString()));
        Assert.Equal(1, batch.Json.GetProperty("updated").GetInt32());
        Assert.Contains("[3].updatedAt", batch.Json.GetProperty("items")[3].GetProperty("errors").EnumerateObject().Select(p => p.Name));
        var view = await host.Get<CustomerReader>().GetViewAsync("h1", CancellationToken.None);
        Assert.Equal(("b@example.com", "FR"), (view!.Contact!.Email, view.Contact.Country));
    }

    [Fact]
    public async Task ConsentWithdrawnByHttpQueueAndImport_LeavesTheMarketableSegmentBeforeAnyNightlyRun()
    {
        await using var host = await StartAsync();
        await SeededShop.StoreAsync(host, 600, seed: 13);
        var ids = (await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers)).Keys.ToList();
        var consented = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await host.Get<IngestService>().WriteAsync(
            [.. ids.Select(id => PendingWrite.Of(new Contact(id, null, null, null, null, null, true, new Dictionary<string, string>(), consented)))],
            StateLoad.WholePartition, IngestSource.Import, 4, null, CancellationToken.None);
        await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: true, parallelism: 4, CancellationToken.None);
        var run = (await host.Get<SegmentReader>().GetLatestRunAsync(CancellationToken.None))!;
        var slug = run.Segments.MaxBy(s => s.Customers)!.Segment;
        var before = CsvIds(await GetSegmentAsync(host, slug, "?format=csv&marketable=true"));
        var (byHttp, byQueue, byImport) = (before[0], before[1], before[2]);

        var http = await PostContactsAsync(host, $$"""{"customerId":"{{byHttp}}","marketingConsent":false}""");
        await host.Create<IngestQueueTrigger>().Run(Message("{\"type\":\"contact\",\"data\":{\"customerId\":\"" + byQueue + "\",\"marketingConsent\":false}}", "w1", 1), CancellationToken.None);
        var contacts = Path.Combine(_folder, "contacts.csv");
        var none = Path.Combine(_folder, "none.csv");
        await File.WriteAllLinesAsync(contacts, ["customerId,marketingConsent", byImport + ",false"]);
        await File.WriteAllLinesAsync(none, ["transactionId,customerId,timestamp,amount,currency"]);
        var import = await host.Get<ImportService>().ImportAsync(new ImportRequest(none, contacts), null, CancellationToken.None);

        var counter = host.Get<StorageRequestCounter>();
        var requestsBefore = counter.Count;
        var csv = await GetSegmentAsync(host, slug, "?format=csv&marketable=true");
        var csvRequests = counter.Count - requestsBefore;
        var all = await GetSegmentAsync(host, slug, "?format=csv");
        requestsBefore = counter.Count;
        var page = await GetSegmentAsync(host, slug, "?pageSize=100&marketable=true");
        var pageRequests = counter.Count - requestsBefore;
        var marketable = new List<string>();
        var token = (string?)null;
        do
        {
            var next = await GetSegmentAsync(host, slug, "?pageSize=100&marketable=true" + (token is null ? "" : "&continuationToken=" + Uri.EscapeDataString(token)));
            marketable.AddRange(next.Json.GetProperty("customers").EnumerateArray().Select(c => c.GetProperty("customerId").GetString()!));
            Assert.All(next.Json.GetProperty("customers").EnumerateArray(), c => Assert.True(c.GetProperty("marketingConsent").GetBoolean()));
            token = next.Json.TryGetProperty("continuationToken", out var t) ? t.GetString() : null;
        }
        while (token is not null);

        Assert.Equal(200, http.Status);
        Assert.Equal(1, import.Updated);
        var after = CsvIds(csv);
        Assert.Equal(before.Count - 3, after.Count);
        Assert.DoesNotContain(byHttp, after);
        Assert.DoesNotContain(byQueue, after);
        Assert.DoesNotContain(byImport, after);
        Assert.Equal(after.Order(StringComparer.Ordinal), marketable.Order(StringComparer.Ordinal));
        var withdrawn = all.Text.Split('\n').Where(l => l.StartsWith(byHttp + ",", StringComparison.Ordinal)).Single();
        Assert.StartsWith(byHttp + ",false,", withdrawn, StringComparison.Ordinal);
        Assert.Equal(run.RunId, (await host.Get<SegmentReader>().GetLatestRunAsync(CancellationToken.None))!.RunId);
        Assert.False((await host.Get<CustomerReader>().GetViewAsync(byQueue, CancellationToken.None))!.Contact!.MarketingConsent);
        output.WriteLine($"Segment {slug}: {before.Count} marketable before, {after.Count} after; storage requests: CSV {csvRequests} " +
                         $"({ids.Count} customers, {(await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Customers)).Count} Customers rows), " +
                         $"one JSON page of {page.Json.GetProperty("customers").GetArrayLength()} {pageRequests}");
    }

    [Fact]
    public async Task RefundAndCancel_RedeliveredThreeTimesByHttpAndQueue_CountOnce()
    {
        await using var host = await StartAsync();
        var trigger = host.Create<IngestQueueTrigger>();
        await PostTransactionsAsync(host, Purchase);
        await PostTransactionsAsync(host, """{"transactionId":"p2","customerId":"q1","timestamp":"2024-05-02T10:00:00Z","amount":20,"currency":"USD"}""");
        const string cancel = """{"type":"transaction","data":{"transactionId":"c2","customerId":"q1","timestamp":"2024-05-04T10:00:00Z","kind":"cancel","refersTo":"p2"}}""";

        var statuses = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await PostTransactionsAsync(host, Refund)).Status);
            await trigger.Run(Message(cancel, "m-cancel", i + 1), CancellationToken.None);
        }

        Assert.Equal([201, 200, 200], statuses);
        var view = (await host.Get<CustomerReader>().GetViewAsync("q1", CancellationToken.None))!.Purchases;
        Assert.Equal((1, 50m, 80m, 30m), (view.Count, view.TotalSpend, view.GrossSpend, view.Refunds));
        Assert.Empty(await StorageRecount.AggregateMismatchesAsync(host.Get<CrmTables>().Customers));
        Assert.Empty(await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Rejected));
    }

    [Fact]
    public async Task RefundBeforeItsPurchase_OnTheQueue_IsRetriedByTheHostAndAppliedOnceThePurchaseIsStored()
    {
        await using var host = await StartAsync();
        var trigger = host.Create<IngestQueueTrigger>();
        var refund = "{\"type\":\"transaction\",\"data\":" + Refund + "}";

        var early = await Assert.ThrowsAsync<PurchaseNotYetStoredException>(() => trigger.Run(Message(refund, "m-refund", 1), CancellationToken.None));
        var storedEarly = await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Customers);
        await trigger.Run(Message("{\"type\":\"transaction\",\"data\":" + Purchase + "}", "m-purchase", 1), CancellationToken.None);
        await trigger.Run(Message(refund, "m-refund", 2), CancellationToken.None);

        Assert.DoesNotContain("q1", early.Message, StringComparison.Ordinal);
        Assert.Empty(storedEarly);
        var view = (await host.Get<CustomerReader>().GetViewAsync("q1", CancellationToken.None))!.Purchases;
        Assert.Equal((1, 50m), (view.Count, view.TotalSpend));
        Assert.Empty(await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Rejected));
    }

    [Fact]
    public async Task RefundWhosePurchaseNeverArrives_OnTheQueue_IsRejectedWithItsReasonOnTheLastDelivery()
    {
        await using var host = await StartAsync();
        var trigger = host.Create<IngestQueueTrigger>();
        var message = "{\"type\":\"transaction\",\"data\":[" + Refund + ",{\"transactionId\":\"p9\",\"customerId\":\"q1\",\"timestamp\":\"2024-05-01T10:00:00Z\",\"amount\":5,\"currency\":\"USD\"}]}";

        for (var delivery = 1; delivery < 5; delivery++)
        {
            await Assert.ThrowsAsync<PurchaseNotYetStoredException>(() => trigger.Run(Message(message, "m-orphan", delivery), CancellationToken.None));
        }

        await trigger.Run(Message(message, "m-orphan", 5), CancellationToken.None);

        var rejected = Assert.Single(await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Rejected));
        Assert.StartsWith("[0].refersTo: names no purchase", rejected.GetString("Reason"), StringComparison.Ordinal);
        Assert.Contains("rf1", rejected.GetString("Payload"), StringComparison.Ordinal);
        var view = (await host.Get<CustomerReader>().GetViewAsync("q1", CancellationToken.None))!.Purchases;
        Assert.Equal((1, 5m), (view.Count, view.TotalSpend));
    }

    private static List<string> CsvIds(HttpCall.Response csv)
    {
        Assert.Equal(200, csv.Status);
        var lines = csv.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("customerId,marketingConsent,", lines[0], StringComparison.Ordinal);
        return [.. lines.Skip(1).Select(l => l.Split(',')[0])];
    }
}
