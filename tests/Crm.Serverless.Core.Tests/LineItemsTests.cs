using System.Text;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Core.Privacy;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>Issue 14: line items with category and cost, lines files, refunds of lines, discounts, coupons and campaigns.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class LineItemsTests(AzuriteFixture azurite) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("crm-lines-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string WriteCsv(string name, params string[] lines)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private string Transactions() => WriteCsv(
        "transactions.csv",
        "transactionId,customerId,timestamp,amount,currency,discountAmount,couponCode,campaignId",
        "t1,c1,2024-05-01,90.00,USD,10.00,SPRING10,spring-24",
        "t2,c1,2024-05-20,40.00,USD,,,",
        "t3,c2,2024-05-03,25.00,USD,,,");

    private string Lines(string name = "lines.csv", string t1Quantity = "2") => WriteCsv(
        name,
        "transactionId,customerId,sku,quantity,unitPrice,category,unitCost",
        $"t1,c1,TEA-1,{t1Quantity},30.00,tea,12.50",
        "t1,c1,CUP-1,1,40.00,cups,",
        "t2,c1,TEA-1,1,40.00,tea,12.50",
        "t3,c2,POT-1,1,25.00,,",
        "t9,c2,POT-1,1,25.00,,");

    private static async Task<List<TableEntity>> PurchaseRowsAsync(TestHost host)
        => [.. (await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Customers)).Where(r => !CrmKeys.IsCustomerRow(r.RowKey)).OrderBy(r => r.RowKey, StringComparer.Ordinal)];

    private static string Snapshot(IEnumerable<TableEntity> rows)
        => string.Join("\n", rows.Select(r => string.Join(";", r.Keys.Where(k => k is not ("Timestamp" or "odata.etag")).Order(StringComparer.Ordinal).Select(k => $"{k}={r[k]}"))));

    [Fact]
    public async Task ImportLines_Twice_StoresTheSameRowsAndCountsDuplicates()
    {
        await using var host = await azurite.StartHostAsync();
        var import = host.Get<ImportService>();
        await import.ImportAsync(new ImportRequest(Transactions()), null, CancellationToken.None);

        var first = await import.ImportLinesAsync(Lines(), null, CancellationToken.None);
        var rowsAfterFirst = Snapshot(await PurchaseRowsAsync(host));
        var second = await import.ImportLinesAsync(Lines(), null, CancellationToken.None);

        Assert.Equal((5, 4, 0), (first.LineRows, first.Stored, first.AlreadyStored));
        Assert.Equal((5, 0, 4), (second.LineRows, second.Stored, second.AlreadyStored));
        var unknown = Assert.Single(first.Rejections);
        Assert.Equal(6, unknown.Line);
        Assert.StartsWith("transactionId: names no purchase stored", unknown.Reason, StringComparison.Ordinal);
        Assert.Equal(rowsAfterFirst, Snapshot(await PurchaseRowsAsync(host)));

        var t1 = (await host.Get<BasketReader>().ReadCustomerAsync("c1", CancellationToken.None)).First(b => b.TransactionId == "t1");
        Assert.Equal(["TEA-1", "CUP-1"], t1.Lines.Select(l => l.Sku));
        Assert.Equal(12.5, t1.Lines[0].UnitCost);
        Assert.Equal("tea", t1.Lines[0].Category);

        // Lines priced before the order discount: 100 of lines, 10 off, so each line keeps 90%.
        Assert.Equal(54, t1.Lines[0].NetAmount, 9);
        Assert.Equal(36, t1.Lines[1].NetAmount, 9);
        Assert.Equal((10.0, "SPRING10", "spring-24", 90.0), (t1.DiscountAmount, t1.CouponCode, t1.CampaignId, t1.Amount));
    }

    [Fact]
    public async Task ImportLines_DifferentLines_IsAConflictAndResendsOfThePurchaseStayDuplicates()
    {
        await using var host = await azurite.StartHostAsync();
        var import = host.Get<ImportService>();
        await import.ImportAsync(new ImportRequest(Transactions()), null, CancellationToken.None);
        await import.ImportLinesAsync(Lines(), null, CancellationToken.None);
        var before = Snapshot(await PurchaseRowsAsync(host));

        var changed = await import.ImportLinesAsync(Lines("changed.csv", t1Quantity: "3"), null, CancellationToken.None);
        var resent = await import.ImportAsync(new ImportRequest(Transactions()), null, CancellationToken.None);
        var sameJson = await IngestCalls.TransactionsAsync(host, """{"transactionId":"t2","customerId":"c1","timestamp":"2024-05-20T00:00:00Z","amount":40.00,"currency":"USD","items":[{"sku":"TEA-1","quantity":1,"price":40.00,"category":"tea","unitCost":12.50}]}""");
        var otherJson = await IngestCalls.TransactionsAsync(host, """{"transactionId":"t2","customerId":"c1","timestamp":"2024-05-20T00:00:00Z","amount":40.00,"currency":"USD","items":[{"sku":"TEA-1","quantity":1,"price":40.00,"category":"tea","unitCost":13.00}]}""");

        // t1's two rows conflict; t2 and t3 already have these lines.
        Assert.Equal(2, changed.AlreadyStored);
        Assert.Equal(2, changed.Rejections.Count(r => r.Status == IngestStatus.Conflict));
        Assert.Equal(3, resent.AlreadyStored);
        Assert.Equal(IngestStatus.Duplicate, sameJson.Single().Status);
        Assert.Equal(IngestStatus.Conflict, otherJson.Single().Status);
        Assert.Equal(before, Snapshot(await PurchaseRowsAsync(host)));
    }

    [Fact]
    public async Task RefundOfALine_NetsTheBasketAndMoreThanBoughtIsRejectedWithAReason()
    {
        await using var host = await azurite.StartHostAsync();
        var purchase = await IngestCalls.TransactionsAsync(host, """{"transactionId":"p1","customerId":"r1","timestamp":"2024-05-01T10:00:00Z","amount":25.00,"currency":"USD","items":[{"sku":"A","quantity":2,"price":10.00,"unitCost":4},{"sku":"B","quantity":1,"price":5.00}]}""");
        var refund = await IngestCalls.TransactionsAsync(host, """{"transactionId":"r1-1","customerId":"r1","timestamp":"2024-05-05T10:00:00Z","amount":10.00,"currency":"USD","kind":"refund","refersTo":"p1","items":[{"sku":"A","quantity":1}]}""");
        var tooMany = await IngestCalls.TransactionsAsync(host, """{"transactionId":"r1-2","customerId":"r1","timestamp":"2024-05-06T10:00:00Z","amount":5.00,"currency":"USD","kind":"refund","refersTo":"p1","items":[{"sku":"B","quantity":1},{"sku":"A","quantity":2}]}""");
        var notBought = await IngestCalls.TransactionsAsync(host, """{"transactionId":"r1-3","customerId":"r1","timestamp":"2024-05-06T10:00:00Z","amount":1.00,"currency":"USD","kind":"refund","refersTo":"p1","items":[{"sku":"C","quantity":1}]}""");

        Assert.Equal(IngestStatus.Accepted, purchase.Single().Status);
        Assert.Equal(IngestStatus.Accepted, refund.Single().Status);
        var error = Assert.Single(Assert.Single(tooMany).Errors);
        Assert.Equal(("items[1].quantity", IngestStatus.Rejected), (error.Field, tooMany.Single().Status));
        Assert.Contains("1 of 2", error.Message, StringComparison.Ordinal);
        Assert.Equal("items[0].sku", Assert.Single(Assert.Single(notBought).Errors).Field);

        var basket = Assert.Single(await host.Get<BasketReader>().ReadCustomerAsync("r1", CancellationToken.None));
        Assert.Equal([("A", 1.0, 10.0), ("B", 1.0, 5.0)], basket.Lines.Select(l => (l.Sku, l.Quantity, l.NetAmount)));
        Assert.Equal(("A", 1.0), (Assert.Single(basket.RefundedLines!).Sku, basket.RefundedLines![0].Quantity));
        var export = await host.Get<CustomerPrivacyService>().ExportAsync("r1", CancellationToken.None);
        Assert.Equal(1, export!.Purchases.Single(p => p.TransactionId == "p1").RefundedItems!["A"]);
        Assert.Equal(4m, export.Purchases.Single(p => p.TransactionId == "p1").Items[0].UnitCost);
    }

    [Fact]
    public async Task View_ShowsTheLastPurchasesOfferAndTheDiscountProfile()
    {
        await using var host = await azurite.StartHostAsync();
        await IngestCalls.TransactionsAsync(host, """
            [{"transactionId":"d1","customerId":"v1","timestamp":"2024-05-01T10:00:00Z","amount":80,"currency":"USD","discountAmount":20,"campaignId":"spring"},
             {"transactionId":"d2","customerId":"v1","timestamp":"2024-05-02T10:00:00Z","amount":50,"currency":"USD"},
             {"transactionId":"d3","customerId":"v1","timestamp":"2024-05-03T10:00:00Z","amount":90,"currency":"USD","discountAmount":10,"couponCode":"TEN"}]
            """);

        var view = (await host.Get<CustomerReader>().GetViewAsync("v1", CancellationToken.None))!;

        Assert.Equal((10m, "TEN", (string?)null), (view.Purchases.LastPurchase!.DiscountAmount, view.Purchases.LastPurchase.CouponCode, view.Purchases.LastPurchase.CampaignId));
        var discounts = view.Discounts!;
        Assert.Equal((3, 2, 1, true), (discounts.Orders, discounts.DiscountedOrders, discounts.CampaignOrders, discounts.DealSeeker));
        Assert.Equal(0.15, discounts.AverageDepth!.Value, 12);
    }

    [Fact]
    public void Parse_BadLineAndOfferFields_NamesEachField()
    {
        var parser = ParserFactory.Create();

        var body = parser.ParseTransactions(Encoding.UTF8.GetBytes("""
            {"transactionId":"x1","customerId":"c1","timestamp":"2024-05-01T10:00:00Z","amount":10,"currency":"USD",
             "discountAmount":11,"couponCode":"BAD\u0007","campaignId":"a/b",
             "items":[{"sku":"A","quantity":1,"price":1},{"sku":"B","quantity":1,"price":1,"category":""},{"sku":"C","quantity":1,"price":1,"unitCost":-2}]}
            """));

        var fields = Assert.Single(body.Items).Errors.Select(e => e.Field).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["campaignId", "couponCode", "discountAmount", "items[1].category", "items[2].unitCost"], fields);
    }

    [Fact]
    public void Csv_LinesFileAndOfferColumns_AreValidatedPerRow()
    {
        var lines = CsvItemReader.ReadLineItems(new StringReader("transactionId,customerId,sku,quantity,unitPrice,unitCost\nt1,c1,A,0,1.00,x\nt1,c1,A,1,1.00,0.5\n")).ToList();
        var transactions = ParserFactory.CreateCsvReader().ReadTransactions(new StringReader("transactionId,customerId,timestamp,amount,currency,discountAmount,campaignId\nt1,c1,2024-05-01,10,USD,12,\nt2,c1,2024-05-01,10,USD,2,ok\n")).ToList();

        Assert.Equal(["unitCost"], lines[0].Errors.Select(e => e.Field));
        Assert.Equal(new LineItem("A", 1, 1.00m, null, 0.5m), lines[1].Value!.Item);
        Assert.Equal(["discountAmount"], transactions[0].Errors.Select(e => e.Field));
        Assert.Equal((2m, "ok"), (transactions[1].Value!.DiscountAmount!.Value, transactions[1].Value!.CampaignId!));
    }
}
