using System.Globalization;
using System.Text;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

[Collection(AzuriteCollection.Name)]
public class IngestServiceTests(AzuriteFixture azurite)
{
    private static string Purchase(string customerId, string transactionId, decimal amount, string timestamp = "2024-05-01T10:00:00Z")
        => string.Create(CultureInfo.InvariantCulture, $$"""{"transactionId":"{{transactionId}}","customerId":"{{customerId}}","timestamp":"{{timestamp}}","amount":{{amount}},"currency":"USD"}""");

    private static Task<IReadOnlyList<ItemOutcome>> SendAsync(TestHost host, string json) => IngestCalls.TransactionsAsync(host, json);

    [Fact]
    public async Task Ingest_SameTransactionThreeTimes_StoresOnceAndCountsOnce()
    {
        await using var host = await azurite.StartHostAsync();
        var json = Purchase("c1", "t1", 10.25m);

        var first = await SendAsync(host, json);
        var second = await SendAsync(host, json);
        var third = await SendAsync(host, $"[{json},{json}]");

        Assert.Equal(IngestStatus.Accepted, first[0].Status);
        Assert.Equal(IngestStatus.Duplicate, second[0].Status);
        Assert.All(third, o => Assert.Equal(IngestStatus.Duplicate, o.Status));
        var recount = await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers);
        var customer = recount["c1"];
        Assert.Equal(1, customer.Purchases);
        Assert.Equal(1, customer.Customer!.PurchaseCount);
        Assert.Equal(Money.ToScaled(10.25m), customer.Customer.TotalAmountScaled);
    }

    [Fact]
    public async Task Ingest_SameIdDifferentPayload_IsConflictAndKeepsOriginal()
    {
        await using var host = await azurite.StartHostAsync();
        await SendAsync(host, Purchase("c1", "t1", 10m));

        var outcome = await SendAsync(host, Purchase("c1", "t1", 99m));

        Assert.Equal(IngestStatus.Conflict, outcome[0].Status);
        Assert.Equal("transactionId", Assert.Single(outcome[0].Errors).Field);
        var view = await host.Get<CustomerReader>().GetViewAsync("c1", CancellationToken.None);
        Assert.Equal(10m, view!.Purchases.TotalSpend);
        Assert.Equal(1, view.Purchases.Count);
    }

    [Fact]
    public async Task Ingest_SameTransactionIdForTwoCustomers_StoresBoth()
    {
        await using var host = await azurite.StartHostAsync();

        var outcome = await SendAsync(host, $"[{Purchase("c1", "t1", 1m)},{Purchase("c2", "t1", 2m)}]");

        Assert.All(outcome, o => Assert.Equal(IngestStatus.Accepted, o.Status));
    }

    [Fact]
    public async Task Ingest_MixedBatch_StoresGoodItemsAndRejectsBadOnes()
    {
        await using var host = await azurite.StartHostAsync();
        var json = $"[{Purchase("c1", "t1", 5m)},{Purchase("c1", "t2", -1m)},{Purchase("c2", "t3", 7m)},{{\"customerId\":\"c3\"}}]";

        var outcome = await SendAsync(host, json);

        Assert.Equal([IngestStatus.Accepted, IngestStatus.Rejected, IngestStatus.Accepted, IngestStatus.Rejected], outcome.Select(o => o.Status));
        Assert.Equal("[1].amount", Assert.Single(outcome[1].Errors).Field);
        var recount = await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers);
        Assert.Equal(2, recount.Values.Sum(c => c.Purchases));
        Assert.False(recount.ContainsKey("c3"));
    }

    [Fact]
    public async Task Ingest_ManyPurchasesOfOneCustomer_SpansBatchesAndAggregatesMatchRecount()
    {
        await using var host = await azurite.StartHostAsync();
        var start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var items = Enumerable.Range(0, 250).Select(i => Purchase("big", $"t{i:D3}", 1.01m + i, start.AddHours(i).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)));

        var outcome = await SendAsync(host, "[" + string.Join(',', items) + "]");

        Assert.All(outcome, o => Assert.Equal(IngestStatus.Accepted, o.Status));
        var big = (await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers))["big"];
        Assert.Equal(250, big.Purchases);
        Assert.Equal(250, big.Customer!.PurchaseCount);
        Assert.Equal(big.TotalScaled, big.Customer.TotalAmountScaled);
        Assert.Equal(big.First, big.Customer.FirstPurchaseAt);
        Assert.Equal(big.Last, big.Customer.LastPurchaseAt);
        Assert.Equal("t249", big.Customer.LastTransactionId);
    }

    [Fact]
    public async Task Ingest_ConcurrentWritersOnSameCustomers_LoseNoUpdate()
    {
        await using var host = await azurite.StartHostAsync();
        var customers = new[] { "a", "b", "c" };

        // Eight writers, each sending its own purchases for the same three customers, plus everyone's first
        // purchase again: ETag conflicts and duplicates both happen, and nothing may be lost or counted twice.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            for (var round = 0; round < 5; round++)
            {
                var batch = customers.Select(c => Purchase(c, $"w{writer}-r{round}", 1m)).Append(Purchase("a", "shared", 3m));
                await SendAsync(host, "[" + string.Join(',', batch) + "]");
            }
        })));

        var recount = await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers);
        Assert.Equal(41, recount["a"].Purchases);
        Assert.Equal(40, recount["b"].Purchases);
        foreach (var customer in recount.Values)
        {
            Assert.Equal(customer.Purchases, customer.Customer!.PurchaseCount);
            Assert.Equal(customer.TotalScaled, customer.Customer.TotalAmountScaled);
        }
    }

    [Fact]
    public async Task IngestContact_RetriedAndChanged_StoresOnceThenUpdates()
    {
        await using var host = await azurite.StartHostAsync();
        var parser = host.Get<IngestJsonParser>();
        var ingest = host.Get<IngestService>();
        var contact = """{"customerId":"c9","email":"ada@example.com","firstName":"Ada","country":"GB"}""";
        await SendAsync(host, Purchase("c9", "t1", 4m));

        var first = await ingest.IngestContactsAsync(parser.ParseContacts(Encoding.UTF8.GetBytes(contact)), IngestSource.Http, CancellationToken.None);
        var retry = await ingest.IngestContactsAsync(parser.ParseContacts(Encoding.UTF8.GetBytes(contact)), IngestSource.Http, CancellationToken.None);
        var changed = await ingest.IngestContactsAsync(parser.ParseContacts(Encoding.UTF8.GetBytes(contact.Replace("Ada", "Eve", StringComparison.Ordinal))), IngestSource.Http, CancellationToken.None);

        Assert.Equal(IngestStatus.Accepted, first[0].Status);
        Assert.Equal(IngestStatus.Duplicate, retry[0].Status);
        Assert.Equal(IngestStatus.Updated, changed[0].Status);
        var view = await host.Get<CustomerReader>().GetViewAsync("c9", CancellationToken.None);
        Assert.Equal("Eve", view!.Contact!.FirstName);
        Assert.Equal("ada@example.com", view.Contact.Email);
        Assert.Equal(1, view.Purchases.Count);
    }

    [Fact]
    public async Task GetView_AfterIngest_ShowsSpendAndLastPurchase()
    {
        await using var host = await azurite.StartHostAsync();
        await SendAsync(host, $"[{Purchase("v1", "t1", 10m, "2024-01-01T00:00:00Z")},{Purchase("v1", "t3", 30m, "2024-03-01T00:00:00Z")},{Purchase("v1", "t2", 20m, "2024-02-01T00:00:00Z")}]");

        var view = await host.Get<CustomerReader>().GetViewAsync("v1", CancellationToken.None);

        Assert.NotNull(view);
        Assert.Null(view.Contact);
        Assert.Equal(3, view.Purchases.Count);
        Assert.Equal(60m, view.Purchases.TotalSpend);
        Assert.Equal(20m, view.Purchases.AverageSpend);
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), view.Purchases.FirstPurchaseAt);
        Assert.Equal("t3", view.Purchases.LastPurchase!.TransactionId);
        Assert.Equal(30m, view.Purchases.LastPurchase.Amount);
    }
}
