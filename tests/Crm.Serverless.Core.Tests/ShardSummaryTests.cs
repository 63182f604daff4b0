using System.Text.Json;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Privacy;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>Issue 12: per-customer summary rows kept at ingest, so stage 1 reads about one entity per customer.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ShardSummaryTests(AzuriteFixture azurite) : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly string _folder = Directory.CreateTempSubdirectory("crm-summaries-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>
    /// A shop written every way the app writes: a bulk import (whole-partition state), a customer with more purchases
    /// than one batch holds, purchases with lines, discounts and campaigns, refunds with and without lines (one of them
    /// whole), cancels, a lines file, contacts with and without purchases, and ids starting with '!'.
    /// </summary>
    private async Task StoreMixedShopAsync(TestHost host)
    {
        await SeededShop.StoreAsync(host, 300, seed: 5);
        var big = Enumerable.Range(0, 250)
            .Select(i => PendingWrite.Of(new Transaction($"b{i:D3}", "big", new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).AddHours(i), 10 + i, "USD", 1, [])))
            .Concat(Enumerable.Range(0, 30).Select(i => PendingWrite.Of(new Transaction($"b-r{i}", "big", new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero), 5, "USD", null, [], Kind: TransactionKind.Refund, RefersTo: $"b{i * 8:D3}"))))
            .Append(PendingWrite.Of(new Transaction("b-c", "big", new DateTimeOffset(2024, 3, 2, 0, 0, 0, TimeSpan.Zero), 0, "USD", null, [], Kind: TransactionKind.Cancel, RefersTo: "b249")))
            .ToList();
        await host.Get<IngestService>().WriteAsync(big, StateLoad.PerCustomer, IngestSource.Http, 4, null, None);

        await IngestCalls.TransactionsAsync(host, """
            [
              {"transactionId":"p1","customerId":"lines","timestamp":"2024-05-01T10:00:00Z","amount":25.00,"currency":"USD","discountAmount":5.00,"couponCode":"C5","campaignId":"spring","items":[{"sku":"A","quantity":2,"price":10.00,"unitCost":4,"category":"tea"},{"sku":"B","quantity":1,"price":10.00}]},
              {"transactionId":"p2","customerId":"lines","timestamp":"2024-05-03T10:00:00Z","amount":30.00,"currency":"USD","items":[{"sku":"A","quantity":3,"price":10.00}]},
              {"transactionId":"p3","customerId":"lines","timestamp":"2024-05-04T10:00:00Z","amount":12.00,"currency":"USD"},
              {"transactionId":"p4","customerId":"lines","timestamp":"2024-05-05T10:00:00Z","amount":8.00,"currency":"USD"},
              {"transactionId":"x1","customerId":"!bang","timestamp":"2024-05-01T10:00:00Z","amount":3.00,"currency":"USD"},
              {"transactionId":"x2","customerId":"!","timestamp":"2024-05-02T10:00:00Z","amount":4.00,"currency":"USD"}
            ]
            """);
        await IngestCalls.TransactionsAsync(host, """
            [
              {"transactionId":"r1","customerId":"lines","timestamp":"2024-05-06T10:00:00Z","amount":10.00,"currency":"USD","kind":"refund","refersTo":"p1","items":[{"sku":"A","quantity":1}]},
              {"transactionId":"r2","customerId":"lines","timestamp":"2024-05-06T11:00:00Z","amount":30.00,"currency":"USD","kind":"refund","refersTo":"p2"},
              {"transactionId":"r3","customerId":"lines","timestamp":"2024-05-06T12:00:00Z","amount":2.00,"currency":"USD","kind":"refund","refersTo":"p3"},
              {"transactionId":"k1","customerId":"lines","timestamp":"2024-05-06T13:00:00Z","amount":0,"currency":"USD","kind":"cancel","refersTo":"p4"}
            ]
            """);
        await IngestCalls.ContactsAsync(host, """
            [
              {"customerId":"lines","email":"Ann@Example.COM","marketingConsent":true},
              {"customerId":"only-contact","email":"ann@example.com"},
              {"customerId":"!bang","firstName":"No e-mail"}
            ]
            """);

        var transactions = Path.Combine(_folder, "t.csv");
        File.WriteAllLines(transactions, ["transactionId,customerId,timestamp,amount,currency", "l1,csv-lines,2024-06-01,40.00,USD", "l2,csv-lines,2024-06-02,15.00,USD"]);
        var lines = Path.Combine(_folder, "l.csv");
        File.WriteAllLines(lines, ["transactionId,customerId,sku,quantity,unitPrice,category,unitCost", "l1,csv-lines,TEA,2,20.00,tea,8", "l2,csv-lines,CUP,1,15.00,,"]);
        var import = host.Get<ImportService>();
        await import.ImportAsync(new ImportRequest(transactions), null, None);
        await import.ImportLinesAsync(lines, null, None);
    }

    private static string Describe(IEnumerable<CustomerHistory> histories)
        => string.Join("\n", histories.Select(h => h.CustomerId + ":" + string.Join(",", h.Purchases.Select(p => $"{p.TimestampUtc.Ticks}/{p.Amount:R}"))));

    private static string Describe(IEnumerable<IReadOnlyList<Basket>> baskets) => JsonSerializer.Serialize(baskets);

    /// <summary>The quality tallies' inputs as the old stage 1 took them: from every customer row of the shard.</summary>
    private static async Task<string> CustomerRowFactsAsync(TestHost host, int shard)
    {
        var facts = new List<string>();
        await foreach (var row in host.Get<CustomerReader>().ScanPartitionAsync(CrmKeys.Partition(shard), None))
        {
            var email = row.Email is { Length: > 0 } e ? CustomerSummaryRow.HashOf(e.Trim().ToLowerInvariant()) : (long?)null;
            facts.Add($"{row.CustomerId}:{row.HasContact}/{email}/{row.PurchaseCount}/{row.GrossAmountScaled}/{row.TotalAmountScaled}/{row.RefundedAmountScaled}");
        }

        return string.Join("\n", facts);
    }

    private static string Facts(ShardRows rows)
        => string.Join("\n", rows.Customers.Select(c => $"{c.CustomerId}:{c.HasContact}/{c.EmailHash}/{c.PurchaseCount}/{c.GrossAmountScaled}/{c.TotalAmountScaled}/{c.RefundedAmountScaled}"));

    /// <summary>What stage 1 must see of every shard, read the old way: every row of every partition.</summary>
    private static async Task<(string Histories, string Baskets, string Facts)> FullPartitionReadAsync(TestHost host)
    {
        var (histories, baskets, facts) = (new List<string>(), new List<string>(), new List<string>());
        for (var shard = 0; shard < CrmKeys.ShardCount; shard++)
        {
            histories.Add(Describe(await host.Get<HistoryReader>().ReadShardAsync(shard, None)));
            baskets.Add(Describe(await host.Get<BasketReader>().ReadShardAsync(shard, None)));
            facts.Add(await CustomerRowFactsAsync(host, shard));
        }

        return (string.Join("\n#\n", histories), string.Join("\n#\n", baskets), string.Join("\n#\n", facts));
    }

    private static async Task<(string Histories, string Baskets, string Facts, long Entities, long Counted)> SummaryReadAsync(TestHost host)
    {
        var counter = host.Get<StorageRequestCounter>();
        var before = counter.EntitiesRead;
        var (histories, baskets, facts) = (new List<string>(), new List<string>(), new List<string>());
        long entities = 0;
        for (var shard = 0; shard < CrmKeys.ShardCount; shard++)
        {
            var rows = await host.Get<ShardSummaryReader>().ReadAsync(shard, None);
            histories.Add(Describe(rows.Histories));
            baskets.Add(Describe(rows.Baskets));
            facts.Add(Facts(rows));
            entities += rows.EntitiesRead;
        }

        return (string.Join("\n#\n", histories), string.Join("\n#\n", baskets), string.Join("\n#\n", facts), entities, counter.EntitiesRead - before);
    }

    [Fact]
    public async Task Summaries_AfterMixedPurchasesRefundsCancelsLinesAndContacts_EqualARecountOfThePurchaseRows()
    {
        await using var host = await azurite.StartHostAsync();
        await StoreMixedShopAsync(host);

        var customers = host.Get<CrmTables>().Customers;
        Assert.Empty(await StorageRecount.SummaryMismatchesAsync(customers));
        var big = CustomerSummaryRow.FromEntity((await customers.GetEntityAsync<TableEntity>(CrmKeys.PartitionOf("big"), CrmKeys.SummaryRow("big"))).Value)!;
        Assert.Equal((249, (249 * 10) + (248 * 249 / 2) - (30 * 5)), (big.Purchases.Count, (int)Money.FromScaled(big.TotalAmountScaled)));
        var lines = CustomerSummaryRow.FromEntity((await customers.GetEntityAsync<TableEntity>(CrmKeys.PartitionOf("lines"), CrmKeys.SummaryRow("lines"))).Value)!;
        Assert.Equal(CustomerSummaryRow.HashOf("ann@example.com"), lines.EmailHash);
    }

    [Fact]
    public async Task Stage1Read_GivesTheHistoriesBasketsAndTallyInputsOfTheFullPartitionRead_ReadingOneEntityPerCustomer()
    {
        await using var host = await azurite.StartHostAsync();
        await StoreMixedShopAsync(host);
        var expected = await FullPartitionReadAsync(host);

        var read = await SummaryReadAsync(host);

        Assert.Equal(expected.Histories, read.Histories);
        Assert.Equal(expected.Baskets, read.Baskets);
        Assert.Equal(expected.Facts, read.Facts);
        var rows = await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Customers);
        var customers = rows.Count(r => CrmKeys.IsCustomerRow(r.RowKey));
        var bangRows = rows.Count(r => r.RowKey.StartsWith('!'));
        Assert.Equal(customers + bangRows, read.Entities);
        Assert.Equal(read.Entities, read.Counted);
        Assert.True(rows.Count > 3 * read.Entities, $"{rows.Count} rows, {read.Entities} read");
    }

    [Fact]
    public async Task Stage1_OnTheSameStore_TalliesAsTheCustomerRowsAndPassesTheReadCount()
    {
        await using var host = await azurite.StartHostAsync();
        await StoreMixedShopAsync(host);
        var run = await host.Get<NightlyJob>().StartAsync(SeededShop.EndOfData, None);
        var plan = await host.Get<NightlyArtefacts>().ReadAsync<NightPlan>(NightlyArtefacts.Plan(run.RunId), None);

        var shard = CrmKeys.ShardOf("lines");
        var summary = await host.Get<SummariseShard>().RunAsync(plan, shard, None);

        var customerRows = new List<CustomerEntity>();
        await foreach (var row in host.Get<CustomerReader>().ScanPartitionAsync(CrmKeys.Partition(shard), None))
        {
            customerRows.Add(row);
        }

        Assert.Equal(customerRows.Count, summary.Quality.Customers);
        Assert.Equal(customerRows.Sum(c => c.PurchaseCount), summary.Quality.Transactions);
        Assert.Equal(customerRows.Sum(c => c.GrossAmountScaled), summary.Quality.GrossScaled);
        Assert.Equal(customerRows.Sum(c => c.RefundedAmountScaled), summary.Quality.RefundedScaled);
        Assert.Equal(customerRows.Count(c => c.HasContact), summary.Quality.Contacts);
        Assert.Equal(customerRows.Where(c => c.Email is { Length: > 0 }).Select(c => CustomerSummaryRow.HashOf(c.Email!.Trim().ToLowerInvariant())).Order(), summary.Quality.EmailHashes.Order());
        Assert.Equal(customerRows.Count + customerRows.Count(c => c.CustomerId.StartsWith('!')), summary.RowsRead);
    }

    [Fact]
    public async Task ACustomerTooLargeForOneEntity_IsMarkedOverflowAndReadFromTheirOwnRange()
    {
        await using var host = await azurite.StartHostAsync();
        await StoreMixedShopAsync(host);
        var random = new Random(3);
        string Sku() => new([.. Enumerable.Range(0, 64).Select(_ => (char)random.Next('0', 'z' + 1))]);
        var huge = Enumerable.Range(0, 40)
            .Select(i => PendingWrite.Of(new Transaction(
                $"h{i}", "huge", new DateTimeOffset(2024, 2, 1, 0, 0, 0, TimeSpan.Zero).AddDays(i), 200, "USD", null,
                [.. Enumerable.Range(0, 200).Select(_ => new LineItem(Sku(), 1, 1))])))
            .ToList();
        await host.Get<IngestService>().WriteAsync(huge, StateLoad.PerCustomer, IngestSource.Http, 1, null, None);
        var customers = host.Get<CrmTables>().Customers;
        var stored = (await customers.GetEntityAsync<TableEntity>(CrmKeys.PartitionOf("huge"), CrmKeys.SummaryRow("huge"))).Value;
        Assert.True(stored.GetBoolean("Overflow"));
        var expected = await FullPartitionReadAsync(host);

        var read = await SummaryReadAsync(host);

        Assert.Equal(expected.Histories, read.Histories);
        Assert.Equal(expected.Baskets, read.Baskets);
        Assert.Equal(expected.Facts, read.Facts);
        var rows = await StorageRecount.AllRowsAsync(customers);
        var customerCount = rows.Count(r => CrmKeys.IsCustomerRow(r.RowKey));
        Assert.Equal(customerCount + rows.Count(r => r.RowKey.StartsWith('!')) + 41, read.Entities);
    }

    [Fact]
    public async Task LegacyStore_WithoutSummaries_GivesTheSameNightThenHasSummaries()
    {
        await using var host = await azurite.StartHostAsync();
        await StoreMixedShopAsync(host);
        var expected = await FullPartitionReadAsync(host);
        var tables = host.Get<CrmTables>();

        // As a store written before summaries: no summary rows and no shard marked.
        foreach (var summary in (await StorageRecount.AllRowsWithSummariesAsync(tables.Customers)).Where(StorageRecount.IsCustomerSummary))
        {
            await tables.Customers.DeleteEntityAsync(summary.PartitionKey, summary.RowKey);
        }

        foreach (var marker in (await StorageRecount.AllRowsAsync(tables.Settings)).Where(r => r.RowKey.StartsWith("summaries-", StringComparison.Ordinal)))
        {
            await tables.Settings.DeleteEntityAsync(marker.PartitionKey, marker.RowKey);
        }

        var allRows = (await StorageRecount.AllRowsAsync(tables.Customers)).Count;

        var first = await SummaryReadAsync(host);
        var second = await SummaryReadAsync(host);

        Assert.Equal((expected.Histories, expected.Baskets, expected.Facts), (first.Histories, first.Baskets, first.Facts));
        Assert.Equal(allRows, first.Entities);
        Assert.Empty(await StorageRecount.SummaryMismatchesAsync(tables.Customers));
        Assert.Equal((expected.Histories, expected.Baskets, expected.Facts), (second.Histories, second.Baskets, second.Facts));
        Assert.True(second.Entities * 3 < allRows, $"{second.Entities} read of {allRows} rows after the rebuild");
    }

    [Fact]
    public async Task LegacyRebuild_ACustomerChangedSinceTheRead_KeepsTheIngestsSummary()
    {
        await using var host = await azurite.StartHostAsync();
        var neighbour = Enumerable.Range(0, 10_000).Select(i => $"n{i}").First(id => CrmKeys.ShardOf(id) == CrmKeys.ShardOf("moved"));
        await IngestCalls.TransactionsAsync(host, $$"""
            [
              {"transactionId":"a1","customerId":"moved","timestamp":"2024-05-01T10:00:00Z","amount":3.00,"currency":"USD"},
              {"transactionId":"o1","customerId":"{{neighbour}}","timestamp":"2024-05-01T10:00:00Z","amount":3.00,"currency":"USD"}
            ]
            """);
        var tables = host.Get<CrmTables>();
        var partition = CrmKeys.PartitionOf("moved");
        var rows = await StorageRecount.AllRowsAsync(tables.Customers);
        CustomerSummaryRow SummaryOf(string id) => CustomerSummaryRow.Of(
            id,
            rows.Where(r => r.RowKey == CrmKeys.CustomerRow(id)).Select(EntityMapper.ToCustomer).Single(),
            rows.Where(r => r.RowKey.StartsWith(id + "|", StringComparison.Ordinal) && !CrmKeys.IsCustomerRow(r.RowKey)).Select(EntityMapper.ToTransaction));
        var readBefore = rows.Where(r => CrmKeys.IsCustomerRow(r.RowKey)).ToDictionary(r => r.RowKey, EntityMapper.ToCustomer, StringComparer.Ordinal);
        var staleSummaries = new[] { ("moved", SummaryOf("moved")), (neighbour, SummaryOf(neighbour)) };
        await IngestCalls.TransactionsAsync(host, """[{"transactionId":"a2","customerId":"moved","timestamp":"2024-05-02T10:00:00Z","amount":4.00,"currency":"USD"}]""");

        // The rebuild writes what it read before "moved" bought again: that one must lose to the ingest's summary.
        var written = await host.Get<ShardSummaryReader>().WriteAsync(
            CrmKeys.ShardOf("moved"),
            [.. staleSummaries.Select(s => (s.Item2, readBefore[CrmKeys.CustomerRow(s.Item1)]))],
            None);

        Assert.Equal(1, written);
        Assert.Empty(await StorageRecount.SummaryMismatchesAsync(tables.Customers));
        var moved = CustomerSummaryRow.FromEntity((await tables.Customers.GetEntityAsync<TableEntity>(partition, CrmKeys.SummaryRow("moved"))).Value)!;
        Assert.Equal(2, moved.Purchases.Count);
    }

    [Fact]
    public async Task Erase_LeavesNoSummaryRow()
    {
        await using var host = await azurite.StartHostAsync();
        await StoreMixedShopAsync(host);
        var customers = host.Get<CrmTables>().Customers;

        var report = await host.Get<CustomerPrivacyService>().EraseAsync("lines", None);

        Assert.False((await customers.GetEntityIfExistsAsync<TableEntity>(CrmKeys.PartitionOf("lines"), CrmKeys.SummaryRow("lines"))).HasValue);
        Assert.Equal(10, report.DeletedRows[customers.Name]);
        Assert.Empty(await StorageRecount.SummaryMismatchesAsync(customers));
    }
}
