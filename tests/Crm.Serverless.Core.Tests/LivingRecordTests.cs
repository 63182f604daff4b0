using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Privacy;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>Issue 11: contacts update (last writer wins by updatedAt, field by field), consent history, refunds and cancels.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class LivingRecordTests(AzuriteFixture azurite) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("crm-record-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static async Task<IngestStatus> ContactAsync(TestHost host, string json, string source = IngestSource.Http)
        => (await IngestCalls.ContactsAsync(host, json, source)).Single().Status;

    private static async Task<ItemOutcome> TransactionAsync(TestHost host, string json)
        => (await IngestCalls.TransactionsAsync(host, json)).Single();

    private static string Purchase(string customerId, string id, decimal amount, string at = "2024-05-01T10:00:00Z")
        => string.Create(CultureInfo.InvariantCulture, $$"""{"transactionId":"{{id}}","customerId":"{{customerId}}","timestamp":"{{at}}","amount":{{amount}},"currency":"USD"}""");

    private static string Refund(string customerId, string id, string refersTo, decimal amount, string at = "2024-05-10T10:00:00Z")
        => string.Create(CultureInfo.InvariantCulture, $$"""{"transactionId":"{{id}}","customerId":"{{customerId}}","timestamp":"{{at}}","amount":{{amount}},"currency":"USD","kind":"refund","refersTo":"{{refersTo}}"}""");

    private static string Cancel(string customerId, string id, string refersTo, string at = "2024-05-10T10:00:00Z")
        => $$"""{"transactionId":"{{id}}","customerId":"{{customerId}}","timestamp":"{{at}}","kind":"cancel","refersTo":"{{refersTo}}"}""";

    private static Task<CustomerView?> ViewAsync(TestHost host, string customerId) => host.Get<CustomerReader>().GetViewAsync(customerId, CancellationToken.None);

    [Fact]
    public async Task Contacts_UpdateStaleDuplicatePartialAndExplicitNull_FollowLastWriterWinsPerField()
    {
        await using var host = await azurite.StartHostAsync();

        var first = await ContactAsync(host, """{"customerId":"k1","email":"ada@example.com","firstName":"Ada","lastName":"Lovelace","country":"GB","marketingConsent":true,"updatedAt":"2024-01-01T00:00:00Z"}""");
        var resent = await ContactAsync(host, """{"customerId":"k1","email":"ada@example.com","firstName":"Ada","lastName":"Lovelace","country":"GB","marketingConsent":true,"updatedAt":"2024-01-01T00:00:00Z"}""");
        var partial = await ContactAsync(host, """{"customerId":"k1","email":"ada@new.example","updatedAt":"2024-02-01T00:00:00Z"}""");
        var older = await ContactAsync(host, """{"customerId":"k1","email":"ada@old.example","firstName":"Old","updatedAt":"2023-12-01T00:00:00Z"}""");
        var tie = await ContactAsync(host, """{"customerId":"k1","email":"ada@tie.example","updatedAt":"2024-02-01T00:00:00Z"}""");
        var cleared = await ContactAsync(host, """{"customerId":"k1","lastName":null,"marketingConsent":false,"updatedAt":"2024-03-01T00:00:00+01:00"}""");

        Assert.Equal(
            [IngestStatus.Accepted, IngestStatus.Duplicate, IngestStatus.Updated, IngestStatus.Stale, IngestStatus.Stale, IngestStatus.Updated],
            [first, resent, partial, older, tie, cleared]);
        var contact = (await ViewAsync(host, "k1"))!.Contact!;
        Assert.Equal("ada@new.example", contact.Email);
        Assert.Equal("Ada", contact.FirstName);
        Assert.Null(contact.LastName);
        Assert.Equal("GB", contact.Country);
        Assert.False(contact.MarketingConsent);
        Assert.Equal(new DateTimeOffset(2024, 2, 29, 23, 0, 0, TimeSpan.Zero), contact.UpdatedAt);
    }

    [Fact]
    public async Task Contacts_OutOfOrderPartialUpdates_ConvergeOnTheSameRecordInEveryOrder()
    {
        await using var host = await azurite.StartHostAsync();
        string[] updates =
        [
            """{"customerId":"ID","email":"a@example.com","firstName":"A","marketingConsent":true,"updatedAt":"2024-01-01T00:00:00Z"}""",
            """{"customerId":"ID","email":"b@example.com","country":"DE","updatedAt":"2024-01-02T00:00:00Z"}""",
            """{"customerId":"ID","firstName":null,"marketingConsent":false,"attributes":{"tier":"gold"},"updatedAt":"2024-01-03T00:00:00Z"}""",
            """{"customerId":"ID","email":"c@example.com","marketingConsent":true,"updatedAt":"2023-12-31T00:00:00Z"}""",
        ];
        var orders = Permutations([0, 1, 2, 3]).ToList();

        for (var k = 0; k < orders.Count; k++)
        {
            foreach (var u in orders[k])
            {
                await ContactAsync(host, updates[u].Replace("\"ID\"", $"\"perm-{k}\"", StringComparison.Ordinal));
            }
        }

        var contacts = new List<ContactView>();
        for (var k = 0; k < orders.Count; k++)
        {
            contacts.Add((await ViewAsync(host, $"perm-{k}"))!.Contact!);
        }

        Assert.Equal(24, contacts.Count);
        Assert.All(contacts, c =>
        {
            Assert.Equal("b@example.com", c.Email);
            Assert.Null(c.FirstName);
            Assert.Equal("DE", c.Country);
            Assert.False(c.MarketingConsent);
            Assert.Equal("gold", c.Attributes["tier"]);
        });
    }

    [Fact]
    public async Task Consent_ChangesByEveryDoor_AreListedByTheAccessExportAndErasedWithTheCustomer()
    {
        await using var host = await azurite.StartHostAsync();
        var tables = host.Get<CrmTables>();
        await TransactionAsync(host, Purchase("cs1", "t1", 12m));
        await ContactAsync(host, """{"customerId":"cs1","email":"cs@example.com","marketingConsent":true,"updatedAt":"2024-01-01T00:00:00Z"}""", IngestSource.Http);
        await ContactAsync(host, """{"customerId":"cs1","firstName":"Cy","updatedAt":"2024-01-15T00:00:00Z"}""", IngestSource.Http);
        await host.Get<QueueIngestProcessor>().ProcessAsync(
            """{"type":"contact","data":{"customerId":"cs1","marketingConsent":false,"updatedAt":"2024-02-01T00:00:00Z"}}""", "m1", CancellationToken.None);
        var contacts = Path.Combine(_folder, "contacts.csv");
        var transactions = Path.Combine(_folder, "none.csv");
        await File.WriteAllLinesAsync(contacts, ["customerId,marketingConsent,updatedAt", "cs1,true,2024-03-01T00:00:00Z"]);
        await File.WriteAllLinesAsync(transactions, ["transactionId,customerId,timestamp,amount,currency"]);
        var import = await host.Get<ImportService>().ImportAsync(new ImportRequest(transactions, contacts), null, CancellationToken.None);
        var again = await host.Get<ImportService>().ImportAsync(new ImportRequest(transactions, contacts), null, CancellationToken.None);
        var redelivered = await host.Get<QueueIngestProcessor>().ProcessAsync(
            """{"type":"contact","data":{"customerId":"cs1","marketingConsent":false,"updatedAt":"2024-02-01T00:00:00Z"}}""", "m1", CancellationToken.None);

        var export = await host.Get<CustomerPrivacyService>().ExportAsync("cs1", CancellationToken.None);

        Assert.Equal(1, import.Updated);
        Assert.Equal(1, again.AlreadyStored);
        Assert.Equal(1, redelivered.Stale);
        Assert.True(export!.Contact!.MarketingConsent);
        var history = export.ConsentHistory!;
        Assert.Equal([true, false, true], history.Select(c => c.MarketingConsent));
        Assert.Equal([null, true, false], history.Select(c => c.Previous));
        Assert.Equal([IngestSource.Http, IngestSource.Queue, IngestSource.Import], history.Select(c => c.Source));
        Assert.Equal(new DateTimeOffset(2024, 2, 1, 0, 0, 0, TimeSpan.Zero), history[1].ChangedAt);

        var erased = await host.Get<CustomerPrivacyService>().EraseAsync("cs1", CancellationToken.None);

        Assert.Equal(3, erased.DeletedRows[tables.Consent.Name]);
        Assert.Empty(await StorageRecount.RowsHoldingAsync(tables.CustomerKeyedTables, "cs1"));
    }

    [Fact]
    public async Task RefundsAndCancels_ChangeNetAggregatesAndTheModelsHistory_AndBadOnesAreRejectedWithAReason()
    {
        await using var host = await azurite.StartHostAsync();
        var tables = host.Get<CrmTables>();
        await TransactionAsync(host, Purchase("r1", "p1", 100m, "2024-01-01T00:00:00Z"));
        await TransactionAsync(host, Purchase("r1", "p2", 50m, "2024-02-01T00:00:00Z"));
        await TransactionAsync(host, Purchase("r1", "p3", 20m, "2024-03-01T00:00:00Z"));
        await TransactionAsync(host, Purchase("other", "o1", 40m));

        var partly = await TransactionAsync(host, Refund("r1", "rf1", "p1", 30m));
        var tooMuch = await TransactionAsync(host, Refund("r1", "rf2", "p1", 70.01m));
        var cancel = await TransactionAsync(host, Cancel("r1", "c1", "p3"));
        var ofCancelled = await TransactionAsync(host, Refund("r1", "rf3", "p3", 1m));
        var unknown = await TransactionAsync(host, Refund("r1", "rf4", "nope", 1m));
        var othersPurchase = await TransactionAsync(host, Refund("r1", "rf5", "o1", 1m));
        var ofARefund = await TransactionAsync(host, Refund("r1", "rf6", "rf1", 1m));
        var whole = await TransactionAsync(host, Refund("r1", "rf7", "p2", 50m));
        var invalid = await TransactionAsync(host, """{"transactionId":"rf8","customerId":"r1","timestamp":"2024-05-10T10:00:00Z","amount":0,"currency":"USD","kind":"refund"}""");

        Assert.Equal(IngestStatus.Accepted, partly.Status);
        Assert.Equal(IngestStatus.Accepted, cancel.Status);
        Assert.Equal(IngestStatus.Accepted, whole.Status);
        Assert.Equal("amount", Assert.Single(tooMuch.Errors).Field);
        Assert.Contains("(70)", tooMuch.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("cancelled", Assert.Single(ofCancelled.Errors).Message, StringComparison.Ordinal);
        Assert.All([tooMuch, ofCancelled, unknown, othersPurchase, ofARefund, invalid], o => Assert.Equal(IngestStatus.Rejected, o.Status));
        Assert.True(unknown.AwaitsPurchase);
        Assert.True(othersPurchase.AwaitsPurchase);
        Assert.Contains("same customerId", othersPurchase.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("not a purchase", ofARefund.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(["amount", "refersTo"], invalid.Errors.Select(e => e.Field).Order(StringComparer.Ordinal));

        // p1 stands at 70 (partly refunded); p2 is wholly refunded and p3 cancelled: neither counts.
        var purchases = (await ViewAsync(host, "r1"))!.Purchases;
        Assert.Equal(1, purchases.Count);
        Assert.Equal(70m, purchases.TotalSpend);
        Assert.Equal(150m, purchases.GrossSpend);
        Assert.Equal(80m, purchases.Refunds);
        Assert.Equal("p1", purchases.LastPurchase!.TransactionId);
        Assert.Empty(await StorageRecount.AggregateMismatchesAsync(tables.Customers));
        var history = (await host.Get<HistoryReader>().ReadAllAsync(CancellationToken.None)).Single(h => h.CustomerId == "r1");
        Assert.Equal(70.0, Assert.Single(history.Purchases).Amount);
    }

    [Fact]
    public async Task PurchaseUnderTheWrongCustomer_IsCorrectedByACancelAndANewPurchase()
    {
        await using var host = await azurite.StartHostAsync();
        await TransactionAsync(host, Purchase("right", "t0", 10m, "2024-01-01T00:00:00Z"));
        await TransactionAsync(host, Purchase("wrong", "t1", 45m, "2024-02-01T00:00:00Z"));

        var cancel = await TransactionAsync(host, Cancel("wrong", "t1-cancel", "t1"));
        var moved = await TransactionAsync(host, Purchase("right", "t1-moved", 45m, "2024-02-01T00:00:00Z"));

        Assert.Equal((IngestStatus.Accepted, IngestStatus.Accepted), (cancel.Status, moved.Status));
        var wrong = (await ViewAsync(host, "wrong"))!.Purchases;
        var right = (await ViewAsync(host, "right"))!.Purchases;
        Assert.Equal((0, 0m, null), (wrong.Count, wrong.TotalSpend, wrong.LastPurchase));
        Assert.Equal((2, 55m, "t1-moved"), (right.Count, right.TotalSpend, right.LastPurchase!.TransactionId));
        Assert.Empty(await StorageRecount.AggregateMismatchesAsync(host.Get<CrmTables>().Customers));
    }

    [Fact]
    public async Task HttpBatch_RefundListedBeforeItsPurchase_IsAppliedAfterIt()
    {
        await using var host = await azurite.StartHostAsync();
        var body = host.Get<IngestJsonParser>().ParseTransactions(Encoding.UTF8.GetBytes($"[{Refund("b1", "rf", "p", 5m)},{Purchase("b1", "p", 25m)}]"));

        var outcomes = await host.Get<IngestService>().IngestTransactionsAsync(body, IngestSource.Http, CancellationToken.None);

        Assert.All(outcomes, o => Assert.Equal(IngestStatus.Accepted, o.Status));
        Assert.Equal(20m, (await ViewAsync(host, "b1"))!.Purchases.TotalSpend);
    }

    [Fact]
    public async Task CrmImport_WithKindAndRefersTo_ExportsNetSpendWithoutCancelledOrders_AndASecondImportChangesNothing()
    {
        await using var host = await azurite.StartHostAsync();
        var file = Path.Combine(_folder, "orders.csv");
        await File.WriteAllLinesAsync(file,
        [
            "transactionId,customerId,timestamp,amount,currency,quantity,kind,refersTo",
            "r-1,A,2024-01-20,15.00,USD,,refund,a-1",
            "a-1,A,2024-01-01,60.00,USD,2,,",
            "a-2,A,2024-02-01,40.00,USD,1,purchase,",
            "a-3,A,2024-03-01,25.00,USD,1,,",
            "x-3,A,2024-03-02,,,,cancel,a-3",
            "b-1,B,2024-01-05,10.00,USD,1,,",
            "r-2,B,2024-01-06,10.00,USD,,refund,b-1",
            "r-3,B,2024-01-07,5.00,USD,,refund,b-9",
        ]);
        var export = Path.Combine(_folder, "out.csv");
        var environment = new Dictionary<string, string?>
        {
            ["Storage__TablePrefix"] = host.Id,
            ["Ingest__QueueName"] = host.Id + "-ingest",
        };

        var first = await CliProcess.RunAsync(["import", "--transactions", file, "--rejected", Path.Combine(_folder, "rejected.csv")], environment, _folder);
        var before = await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Customers);
        var second = await CliProcess.RunAsync(["import", "--transactions", file, "--rejected", Path.Combine(_folder, "rejected2.csv")], environment, _folder);
        var after = await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Customers);
        var exported = await CliProcess.RunAsync(["export", "--out", export], environment, _folder);

        Assert.Equal(0, first.ExitCode);
        Assert.Contains("7 stored, 0 already stored, 1 rejected", first.Output, StringComparison.Ordinal);
        Assert.Contains("1 row: refersTo: names no purchase", first.Output, StringComparison.Ordinal);
        Assert.Contains(await File.ReadAllLinesAsync(Path.Combine(_folder, "rejected.csv")), line => line.Contains(",9,", StringComparison.Ordinal) && line.Contains("refersTo: names no purchase", StringComparison.Ordinal));
        Assert.Contains("0 stored, 7 already stored, 1 rejected", second.Output, StringComparison.Ordinal);
        Assert.Equal(before.Select(r => (r.RowKey, r.ETag)).Order(), after.Select(r => (r.RowKey, r.ETag)).Order());
        Assert.Equal(0, exported.ExitCode);
        var lines = (await File.ReadAllLinesAsync(export)).Select(l => l.Split(',')).ToList();
        var header = lines[0].ToList();
        var a = lines.Single(l => l[0] == "A");
        var b = lines.Single(l => l[0] == "B");
        Assert.Equal("2", a[header.IndexOf("purchaseCount")]);
        Assert.Equal("85", a[header.IndexOf("totalSpend")]);
        Assert.Equal("100", a[header.IndexOf("grossSpend")]);
        Assert.Equal("15", a[header.IndexOf("refunds")]);
        Assert.Equal("a-2", a[header.IndexOf("lastTransactionId")]);
        Assert.Equal("0", b[header.IndexOf("purchaseCount")]);
        Assert.Equal("0", b[header.IndexOf("totalSpend")]);
        Assert.Empty(await StorageRecount.AggregateMismatchesAsync(host.Get<CrmTables>().Customers));
    }

    [Fact]
    public async Task CrmExportMarketable_AfterConsentIsWithdrawnByQueueAndImport_NoLongerListsTheCustomer_BeforeAnyNightlyRun()
    {
        await using var host = await azurite.StartHostAsync();
        await SeededShop.StoreAsync(host, 500, seed: 5);
        var ids = (await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers)).Keys.ToList();
        await host.Get<IngestService>().WriteAsync(
            [.. ids.Select(id => PendingWrite.Of(new Contact(id, null, null, null, null, null, true, new Dictionary<string, string>(), new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero))))],
            StateLoad.WholePartition, IngestSource.Import, 4, null, CancellationToken.None);
        await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: true, parallelism: 4, CancellationToken.None);
        var segment = (await host.Get<SegmentReader>().GetLatestRunAsync(CancellationToken.None))!.Segments.MaxBy(s => s.Customers)!.Segment;
        var environment = new Dictionary<string, string?>
        {
            ["Storage__TablePrefix"] = host.Id,
            ["Ingest__QueueName"] = host.Id + "-ingest",
        };
        var beforeFile = Path.Combine(_folder, "before.csv");
        var afterFile = Path.Combine(_folder, "after.csv");
        var everyoneFile = Path.Combine(_folder, "everyone.csv");
        var before = await CliProcess.RunAsync(["export", "--out", beforeFile, "--segment", segment, "--marketable"], environment, _folder);
        var listed = (await File.ReadAllLinesAsync(beforeFile)).Skip(1).Select(l => l.Split(',')[0]).ToList();
        var (byQueue, byImport) = (listed[0], listed[1]);

        await host.Get<QueueIngestProcessor>().ProcessAsync("{\"type\":\"contact\",\"data\":{\"customerId\":\"" + byQueue + "\",\"marketingConsent\":false}}", "w1", CancellationToken.None);
        var contacts = Path.Combine(_folder, "withdrawals.csv");
        var none = Path.Combine(_folder, "none.csv");
        await File.WriteAllLinesAsync(contacts, ["customerId,marketingConsent", byImport + ",false"]);
        await File.WriteAllLinesAsync(none, ["transactionId,customerId,timestamp,amount,currency"]);
        var import = await CliProcess.RunAsync(["import", "--transactions", none, "--contacts", contacts], environment, _folder);
        var after = await CliProcess.RunAsync(["export", "--out", afterFile, "--segment", segment, "--marketable"], environment, _folder);
        var everyone = await CliProcess.RunAsync(["export", "--out", everyoneFile, "--segment", segment], environment, _folder);

        Assert.Equal([0, 0, 0, 0], new[] { before.ExitCode, import.ExitCode, after.ExitCode, everyone.ExitCode });
        Assert.Contains("contacts: 1 updated", import.Output, StringComparison.Ordinal);
        var remaining = (await File.ReadAllLinesAsync(afterFile)).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(listed.Count - 2, remaining.Count);
        Assert.DoesNotContain(remaining, row => row[0] == byQueue || row[0] == byImport);
        Assert.All(remaining, row => Assert.Equal("true", row[1]));
        var all = (await File.ReadAllLinesAsync(everyoneFile)).Skip(1).Select(l => l.Split(',')).ToDictionary(row => row[0], row => row[1]);
        Assert.Equal(("false", "false"), (all[byQueue], all[byImport]));
    }

    [Fact]
    public async Task UnstorableButWithinTheLimits_AttributesAndLineItems_AreRefusedNamingTheField()
    {
        await using var host = await azurite.StartHostAsync();

        // 50 attributes of 256 emoji halves: within every documented limit, but 12 characters a pair once escaped.
        var emoji = string.Concat(Enumerable.Repeat("\U0001F600", 128));
        var attributes = string.Join(',', Enumerable.Range(0, 50).Select(i => $"\"k{i}\":\"{emoji}\""));
        var sku = string.Concat(Enumerable.Repeat("\U0001F4A9", 32));
        var skus = string.Join(',', Enumerable.Range(0, 200).Select(_ => "{\"sku\":\"" + sku + "\",\"quantity\":1,\"price\":1}"));

        var contact = host.Get<IngestJsonParser>().ParseContacts(Encoding.UTF8.GetBytes("{\"customerId\":\"big\",\"attributes\":{" + attributes + "}}"));
        var purchase = host.Get<IngestJsonParser>().ParseTransactions(Encoding.UTF8.GetBytes($$"""{"transactionId":"t","customerId":"big","timestamp":"2024-01-01T00:00:00Z","amount":1,"currency":"USD","items":[{{skus}}]}"""));
        var small = host.Get<IngestJsonParser>().ParseContacts(Encoding.UTF8.GetBytes("""{"customerId":"small","attributes":{"name":"名前 ☃ é","pet":"\uD83D\uDC08"}}"""));
        await host.Get<IngestService>().IngestContactsAsync(small, IngestSource.Http, CancellationToken.None);

        Assert.Equal("attributes", Assert.Single(contact.Items[0].Errors).Field);
        Assert.Equal("items", Assert.Single(purchase.Items[0].Errors).Field);
        Assert.Equal("\U0001F408", (await ViewAsync(host, "small"))!.Contact!.Attributes["pet"]);
    }

    private static IEnumerable<int[]> Permutations(int[] items)
    {
        if (items.Length <= 1)
        {
            yield return items;
            yield break;
        }

        for (var i = 0; i < items.Length; i++)
        {
            foreach (var rest in Permutations([.. items.Where((_, k) => k != i)]))
            {
                yield return [items[i], .. rest];
            }
        }
    }
}
