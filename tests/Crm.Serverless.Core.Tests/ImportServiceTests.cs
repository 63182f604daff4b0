using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class ImportServiceTests(AzuriteFixture azurite) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("crm-import-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string WriteCsv(string name, IEnumerable<string> lines)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>A shop of <paramref name="customers"/> customers with 1-5 purchases each, deterministic.</summary>
    private string WriteShop(int customers, out int transactions)
    {
        var lines = new List<string> { "transactionId,customerId,timestamp,amount,currency,quantity" };
        for (var c = 0; c < customers; c++)
        {
            for (var p = 0; p <= c % 5; p++)
            {
                lines.Add($"C{c:D5}-{p},C{c:D5},2024-{1 + p:D2}-{1 + (c % 28):D2},{10 + c % 7}.{p}5,USD,{1 + p}");
            }
        }

        transactions = lines.Count - 1;
        return WriteCsv("shop.csv", lines);
    }

    [Fact]
    public async Task Import_Shop_StoresEveryRowInFewRequests()
    {
        await using var host = await azurite.StartHostAsync();
        var path = WriteShop(1000, out var transactions);

        var report = await host.Get<ImportService>().ImportAsync(new ImportRequest(path), null, CancellationToken.None);

        Assert.Equal(transactions, report.Stored);
        Assert.Empty(report.Rejections);
        Assert.True(report.RequestsPerTransaction <= 0.05, $"{report.StorageRequests} requests for {transactions} transactions");
        var recount = await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers);
        Assert.Equal(1000, recount.Count);
        Assert.Equal(transactions, recount.Values.Sum(c => c.Purchases));
        Assert.All(recount.Values, c => Assert.Equal(c.TotalScaled, c.Customer!.TotalAmountScaled));
    }

    [Fact]
    public async Task Import_InSmallWindows_StoresEveryRowOnceWithAggregatesEqualToARecount()
    {
        await using var host = await azurite.StartHostAsync();
        var path = WriteShop(300, out var transactions);
        var import = host.Get<ImportService>();

        // 97 rows per window: customers' rows straddle windows and every partition is written several times.
        var report = await import.ImportAsync(new ImportRequest(path, WindowRows: 97), null, CancellationToken.None);
        var again = await import.ImportAsync(new ImportRequest(path, WindowRows: 97), null, CancellationToken.None);

        Assert.Equal(transactions, report.Stored);
        Assert.Equal(transactions, again.AlreadyStored);
        Assert.Equal(0, again.Stored);
        var recount = await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers);
        Assert.Equal(300, recount.Count);
        Assert.Equal(transactions, recount.Values.Sum(c => c.Purchases));
        Assert.All(recount.Values, c => Assert.Equal(c.TotalScaled, c.Customer!.TotalAmountScaled));
        Assert.All(recount.Values, c => Assert.Equal(c.Purchases, c.Customer!.PurchaseCount));
    }

    [Fact]
    public async Task Import_BadRows_AreReportedWithLineAndReasonAndGoodRowsStored()
    {
        await using var host = await azurite.StartHostAsync();
        var path = WriteCsv("bad.csv",
        [
            "transactionId,customerId,timestamp,amount,currency",
            "t1,c1,2024-01-01,10.00,USD",
            "t2,c1,not-a-date,10.00,USD",
            "t3,c/1,2024-01-01,10.00,USD",
            "t4,c2,2024-01-01,-3,USD",
            "t5,c2,2024-01-01,3,EUR",
            "\"t6,c2,2024-01-01,3,USD",
            "t7,c2,2024-01-02T10:00:00+01:00,\"1,5\",USD",
        ]);

        var report = await host.Get<ImportService>().ImportAsync(new ImportRequest(path), null, CancellationToken.None);

        Assert.Equal(1, report.Stored);
        Assert.Equal([3, 4, 5, 6, 7, 8], report.Rejections.Select(r => r.Line));
        Assert.Contains("timestamp", report.Rejections[0].Reason, StringComparison.Ordinal);
        Assert.Contains("customerId", report.Rejections[1].Reason, StringComparison.Ordinal);
        Assert.Contains("amount", report.Rejections[2].Reason, StringComparison.Ordinal);
        Assert.Contains("currency", report.Rejections[3].Reason, StringComparison.Ordinal);
        Assert.Contains("quote", report.Rejections[4].Reason, StringComparison.Ordinal);
        Assert.Contains("amount", report.Rejections[5].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_InterruptedThenRunAgain_StoresEverythingExactlyOnce()
    {
        await using var host = await azurite.StartHostAsync();
        var path = WriteShop(1500, out var transactions);
        var import = host.Get<ImportService>();
        using var interrupt = new CancellationTokenSource();
        var cancelAfterHalf = new InlineProgress(p =>
        {
            if (p.Done >= p.Total / 2)
            {
                interrupt.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => import.ImportAsync(new ImportRequest(path, Parallelism: 2), cancelAfterHalf, interrupt.Token));
        var partial = (await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers)).Values.Sum(c => c.Purchases);
        var resumed = await import.ImportAsync(new ImportRequest(path), null, CancellationToken.None);

        Assert.InRange(partial, 1, transactions - 1);
        Assert.Equal(partial, resumed.AlreadyStored);
        Assert.Equal(transactions - partial, resumed.Stored);
        var recount = await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers);
        Assert.Equal(transactions, recount.Values.Sum(c => c.Purchases));
        Assert.All(recount.Values, c =>
        {
            Assert.Equal(c.Purchases, c.Customer!.PurchaseCount);
            Assert.Equal(c.TotalScaled, c.Customer.TotalAmountScaled);
        });
    }

    [Fact]
    public async Task Import_WithContacts_LinksThemToPurchases()
    {
        await using var host = await azurite.StartHostAsync();
        var transactions = WriteCsv("t.csv", ["transactionId,customerId,timestamp,amount,currency", "t1,c1,2024-01-01,10.00,USD"]);
        var contacts = WriteCsv("c.csv", ["customerId,email,firstName,lastName,country,createdAt,marketingConsent", "c1,ada@example.com,Ada,Lovelace,GB,2023-12-01,true", "c2,,,,,,"]);

        var report = await host.Get<ImportService>().ImportAsync(new ImportRequest(transactions, contacts), null, CancellationToken.None);

        Assert.Equal(3, report.Stored);
        var counts = await host.Get<CustomerReader>().CountAsync(CancellationToken.None);
        Assert.Equal(new StoredCounts(2, 1, 2), counts);
        var view = await host.Get<CustomerReader>().GetViewAsync("c1", CancellationToken.None);
        Assert.Equal("Lovelace", view!.Contact!.LastName);
        Assert.Equal(10m, view.Purchases.TotalSpend);
    }

    [Fact]
    public async Task Import_ConflictingRow_IsRejectedNotOverwritten()
    {
        await using var host = await azurite.StartHostAsync();
        var first = WriteCsv("a.csv", ["transactionId,customerId,timestamp,amount,currency", "t1,c1,2024-01-01,10.00,USD"]);
        var second = WriteCsv("b.csv", ["transactionId,customerId,timestamp,amount,currency", "t1,c1,2024-01-01,12.00,USD"]);
        var import = host.Get<ImportService>();

        await import.ImportAsync(new ImportRequest(first), null, CancellationToken.None);
        var report = await import.ImportAsync(new ImportRequest(second), null, CancellationToken.None);

        var rejection = Assert.Single(report.Rejections);
        Assert.Equal(IngestStatus.Conflict, rejection.Status);
        Assert.Equal(2, rejection.Line);
        Assert.Equal(10m, (await host.Get<CustomerReader>().GetViewAsync("c1", CancellationToken.None))!.Purchases.TotalSpend);
    }

    private sealed class InlineProgress(Action<(int Done, int Total)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }
}
