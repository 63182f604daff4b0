using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;
using Crm.Serverless.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Tests;

/// <summary>A store keeps one currency: recorded once, adopted from the first purchase when not configured, checked on every door.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class StoreCurrencyTests(AzuriteFixture azurite) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("crm-currency-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Purchase(string transactionId, decimal amount, string currency, decimal? converted = null)
        => string.Create(CultureInfo.InvariantCulture,
            $$"""{"transactionId":"{{transactionId}}","customerId":"c1","timestamp":"2024-05-01T10:00:00Z","amount":{{amount}},"currency":"{{currency}}"{{(converted is { } c ? $",\"amountInReportingCurrency\":{c}" : "")}}}""");

    private static Task<IReadOnlyList<ItemOutcome>> SendAsync(TestHost host, string json) => IngestCalls.TransactionsAsync(host, json);

    private static StoreCurrency Another(TestHost host, string? configured = null)
        => new(host.Get<CrmTables>(), Options.Create(new IngestOptions { ReportingCurrency = configured }), NullLogger<StoreCurrency>.Instance);

    [Fact]
    public async Task FirstPurchase_InEur_MakesItTheStoresCurrency_AndAnotherCurrencyIsRefusedPerItem()
    {
        await using var host = await azurite.StartHostAsync();

        var first = await SendAsync(host, Purchase("t1", 10m, "EUR"));
        var batch = await SendAsync(host, $"[{Purchase("t2", 5m, "USD")},{Purchase("t3", 7m, "EUR")}]");

        Assert.Equal(IngestStatus.Accepted, first[0].Status);
        Assert.Equal("EUR", await Another(host).GetAsync(CancellationToken.None));
        Assert.Equal(IngestStatus.Rejected, batch[0].Status);
        Assert.Equal(IngestStatus.Accepted, batch[1].Status);
        var error = Assert.Single(batch[0].Errors);
        Assert.Equal("[0].currency", error.Field);
        Assert.Contains("this store keeps amounts in EUR", error.Message, StringComparison.Ordinal);
        Assert.Contains("amountInReportingCurrency", error.Message, StringComparison.Ordinal);
        var recount = (await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers))["c1"];
        Assert.Equal(2, recount.Purchases);
        Assert.Equal(Money.ToScaled(17m), recount.Customer!.TotalAmountScaled);
    }

    [Fact]
    public async Task AmountInReportingCurrency_IsWhatAggregatesAdd_AndTheOriginalIsKeptOnTheRow()
    {
        await using var host = await azurite.StartHostAsync();
        await SendAsync(host, Purchase("t1", 10m, "EUR"));

        var converted = await SendAsync(host, Purchase("t2", 100m, "SEK", converted: 8.75m));

        Assert.Equal(IngestStatus.Accepted, converted[0].Status);
        var view = await host.Get<CustomerReader>().GetViewAsync("c1", CancellationToken.None);
        Assert.Equal(18.75m, view!.Purchases.TotalSpend);
        Assert.Equal("EUR", view.Purchases.Currency);
        var row = (await host.Get<CrmTables>().Customers.GetEntityAsync<TableEntity>(CrmKeys.PartitionOf("c1"), CrmKeys.TransactionRow("c1", "t2"))).Value;
        Assert.Equal(Money.ToScaled(8.75m), row.GetInt64(nameof(TransactionEntity.AmountScaled)));
        Assert.Equal("EUR", row.GetString(nameof(TransactionEntity.Currency)));
        Assert.Equal(Money.ToScaled(100m), row.GetInt64(nameof(TransactionEntity.OriginalAmountScaled)));
        Assert.Equal("SEK", row.GetString(nameof(TransactionEntity.OriginalCurrency)));

        // The nightly job reads the converted amount too.
        var history = Assert.Single(await host.Get<HistoryReader>().ReadAllAsync(CancellationToken.None));
        Assert.Equal(18.75, history.Purchases.Sum(p => p.Amount), 6);
    }

    [Fact]
    public async Task RefundOfAConvertedPurchase_NetsInTheStoresCurrency_AndKeepsWhatThePurchaseWasSentIn()
    {
        await using var host = await azurite.StartHostAsync();
        await SendAsync(host, Purchase("t1", 10m, "EUR"));
        await SendAsync(host, Purchase("t2", 100m, "SEK", converted: 8.75m));

        // The shop refunds 40 SEK, converted by the shop as the purchase was.
        var refund = await SendAsync(host, string.Create(CultureInfo.InvariantCulture,
            $$"""{"transactionId":"r1","customerId":"c1","timestamp":"2024-05-02T10:00:00Z","amount":40,"currency":"SEK","amountInReportingCurrency":3.50,"kind":"refund","refersTo":"t2"}"""));

        Assert.Equal(IngestStatus.Accepted, refund[0].Status);
        var view = await host.Get<CustomerReader>().GetViewAsync("c1", CancellationToken.None);
        Assert.Equal(15.25m, view!.Purchases.TotalSpend);
        var row = (await host.Get<CrmTables>().Customers.GetEntityAsync<TableEntity>(CrmKeys.PartitionOf("c1"), CrmKeys.TransactionRow("c1", "t2"))).Value;
        Assert.Equal(Money.ToScaled(3.50m), row.GetInt64(nameof(TransactionEntity.RefundedScaled)));
        Assert.Equal(Money.ToScaled(100m), row.GetInt64(nameof(TransactionEntity.OriginalAmountScaled)));
        Assert.Equal("SEK", row.GetString(nameof(TransactionEntity.OriginalCurrency)));
        Assert.Empty(await StorageRecount.AggregateMismatchesAsync(host.Get<CrmTables>().Customers));
    }

    [Fact]
    public async Task Import_EurFile_AdoptsEur_AndRowsInAnotherCurrencyAreRefusedUnlessConverted()
    {
        await using var host = await azurite.StartHostAsync();
        var path = Path.Combine(_folder, "shop.csv");
        await File.WriteAllLinesAsync(path,
        [
            "transactionId;customerId;timestamp;amount;currency;amountInReportingCurrency",
            "t1;c1;2024-01-01;10,50;EUR;",
            "t2;c1;2024-01-02;3,00;USD;",
            "t3;c1;2024-01-03;30,00;USD;27,60",
        ]);

        var report = await host.Get<ImportService>().ImportAsync(new ImportRequest(path, Csv: new CsvReadOptions(DecimalComma: true)), null, CancellationToken.None);

        Assert.Equal("EUR", report.Currency);
        Assert.Equal(2, report.Stored);
        var rejection = Assert.Single(report.Rejections);
        Assert.Equal(3, rejection.Line);
        Assert.StartsWith("currency: is USD but this store keeps amounts in EUR", rejection.Reason, StringComparison.Ordinal);
        var recount = (await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers))["c1"];
        Assert.Equal(Money.ToScaled(38.10m), recount.Customer!.TotalAmountScaled);
        Assert.Equal(recount.TotalScaled, recount.Customer.TotalAmountScaled);
    }

    [Fact]
    public async Task ConcurrentFirstWriters_WithTwoCurrencies_EndWithOne()
    {
        await using var host = await azurite.StartHostAsync();
        var settings = host.Get<CrmTables>().Settings;
        var winners = new HashSet<string>(StringComparer.Ordinal);
        for (var round = 0; round < 10; round++)
        {
            // Two processes that have not seen the store yet: fresh instances, no cache.
            var eur = Another(host).ResolveAsync("EUR", CancellationToken.None);
            var usd = Another(host).ResolveAsync("USD", CancellationToken.None);
            var answers = await Task.WhenAll(eur, usd);

            Assert.Equal(answers[0], answers[1]);
            Assert.Equal(answers[0], await Another(host).GetAsync(CancellationToken.None));
            winners.Add(answers[0]);
            await settings.DeleteEntityAsync(StoreSettingEntity.StorePartition, StoreCurrency.SettingName);
        }

        Assert.Subset(new HashSet<string>(["EUR", "USD"], StringComparer.Ordinal), winners);
    }

    [Fact]
    public async Task ConfiguredCurrency_DifferentFromTheRecordedOne_IsAClearError()
    {
        await using var host = await azurite.StartHostAsync();
        await SendAsync(host, Purchase("t1", 10m, "EUR"));

        var mismatch = await Assert.ThrowsAsync<CurrencyMismatchException>(() => Another(host, configured: "USD").GetAsync(CancellationToken.None));

        Assert.Contains("This store keeps amounts in EUR, but Ingest:ReportingCurrency is USD", mismatch.Message, StringComparison.Ordinal);
        Assert.Equal("EUR", await Another(host, configured: "EUR").GetAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ConfiguredCurrency_IsRecordedAtStart_AndRefusesOthersFromTheFirstItem()
    {
        await using var host = await azurite.StartHostAsync(settings: new Dictionary<string, string?> { ["Ingest:ReportingCurrency"] = "GBP" });

        var outcome = await SendAsync(host, Purchase("t1", 10m, "EUR"));

        Assert.Equal(IngestStatus.Rejected, outcome[0].Status);
        Assert.Equal("currency", Assert.Single(outcome[0].Errors).Field);
        Assert.Equal("GBP", await Another(host).GetAsync(CancellationToken.None));
    }
}
