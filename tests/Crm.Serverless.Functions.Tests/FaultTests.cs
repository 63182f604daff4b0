using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Functions.Middleware;
using Crm.Serverless.Testing;
using Xunit.Abstractions;

namespace Crm.Serverless.Functions.Tests;

/// <summary>
/// Storage stopped and restarted in the middle of an HTTP run, a queue run and a bulk import, on an Azurite of
/// these tests' own (the shared one keeps serving the other tests). Afterwards every row is counted and
/// checksummed against what was sent: nothing lost, nothing stored or counted twice.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class FaultTests(AzuriteFixture azurite, DedicatedAzurite storage, ITestOutputHelper output) : IClassFixture<DedicatedAzurite>, IDisposable
{
    /// <summary>How many failed calls the outage must produce before storage comes back: enough to be sure every door saw it.</summary>
    private const int FailuresBeforeRestart = 8;

    private readonly string _folder = Directory.CreateTempSubdirectory("crm-fault-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private Task<TestHost> StartAsync() => azurite.StartHostAsync(builder => builder.AddCrmFunctions(), storage.HostSettings());

    private static string ExpectedChecksum(TestHost host, IEnumerable<SentPurchase> purchases)
        => StorageRecount.ExpectedChecksum(host.Get<IngestJsonParser>().ParseTransactions(Encoding.UTF8.GetBytes(Workload.Batch(purchases))).Items.Select(i => i.Value!));

    [Fact]
    public async Task HttpIngest_StorageStoppedMidRun_Answers503WithRetryAfterAndAfterRestartStoresEverythingOnce()
    {
        await using var host = await StartAsync();
        var purchases = Workload.Purchases(seed: 503, customers: 40, count: 400, prefix: "http");
        var pending = new ConcurrentQueue<SentPurchase[]>(purchases.Chunk(10));
        var statuses = new ConcurrentDictionary<int, int>();
        var completed = 0;
        var down = new TaskCompletionSource();
        try
        {
            async Task Client()
            {
                while (pending.TryDequeue(out var batch))
                {
                    var response = await Workload.PostTransactionsAsync(host, Workload.Batch(batch), statuses);
                    Assert.Equal(200, response.Status);
                    if (Interlocked.Increment(ref completed) == 12)
                    {
                        await storage.StopAsync();
                        down.SetResult();
                    }
                }
            }

            async Task Outage()
            {
                await down.Task;

                // While storage is down, both a write and a read answer 503 problem details with Retry-After.
                var write = await PostOnceAsync(host, Workload.Batch(purchases.Take(3)));
                var readRequest = HttpCall.Request("GET", "/api/customers/" + purchases[0].CustomerId);
                var read = await HttpCall.InvokeAsync(readRequest, r => host.Create<CustomersHttp>().Get(r, purchases[0].CustomerId, CancellationToken.None));
                foreach (var response in new[] { write, read })
                {
                    Assert.Equal(503, response.Status);
                    Assert.Equal("5", response.Headers.RetryAfter.ToString());
                    Assert.StartsWith("application/problem+json", response.ContentType, StringComparison.Ordinal);
                    Assert.Equal(503, response.Json.GetProperty("status").GetInt32());
                }

                await UntilAsync(() => statuses.GetValueOrDefault(503) >= FailuresBeforeRestart);
                await storage.StartAsync();
            }

            await Task.WhenAll([.. Enumerable.Range(0, 4).Select(_ => Task.Run(Client)), Outage()]);
        }
        finally
        {
            await storage.StartAsync();
        }

        var figures = await Workload.CountAsync(host.Get<CrmTables>().Customers, purchases, statuses.Values.Sum() * 10, statuses);
        var (rows, checksum) = await StorageRecount.PurchaseChecksumAsync(host.Get<CrmTables>().Customers);
        output.WriteLine($"Fault (HTTP): {figures}; checksum {(checksum == ExpectedChecksum(host, purchases) ? "matches" : "DIFFERS")}");
        Assert.Equal(0, figures.Lost);
        Assert.Equal(0, figures.Duplicated);
        Assert.Equal(0, figures.AggregateMismatches);
        Assert.Equal(purchases.Count, rows);
        Assert.Equal(ExpectedChecksum(host, purchases), checksum);
        Assert.Equal([200, 503], statuses.Keys.Order());
    }

    [Fact]
    public async Task QueueIngest_StorageStoppedMidRun_ThrowsForRedeliveryAndRedeliveryStoresEachItemOnce()
    {
        await using var host = await StartAsync();
        var purchases = Workload.Purchases(seed: 504, customers: 40, count: 400, prefix: "queue");
        var messages = purchases.Chunk(10)
            .Select((chunk, i) => (Id: $"m{i:D3}", Text: JsonSerializer.Serialize(new { type = "transaction", data = chunk.Select(p => JsonDocument.Parse(p.Json).RootElement) })))
            .ToList();
        var pending = new ConcurrentQueue<(string Id, string Text)>(messages);
        var processor = host.Get<QueueIngestProcessor>();
        var failures = new ConcurrentBag<Exception>();
        var remaining = messages.Count;
        var completed = 0;
        var deliveries = 0;
        var down = new TaskCompletionSource();
        try
        {
            // A stand-in for the Functions host: a message whose function throws goes back on the queue and is
            // delivered again (the real host does so up to maxDequeueCount, then moves it to -poison).
            async Task Worker()
            {
                while (Volatile.Read(ref remaining) > 0)
                {
                    if (!pending.TryDequeue(out var message))
                    {
                        await Task.Delay(20);
                        continue;
                    }

                    Interlocked.Increment(ref deliveries);
                    try
                    {
                        await processor.ProcessAsync(message.Text, message.Id, CancellationToken.None);
                    }
                    catch (Exception exception)
                    {
                        failures.Add(exception);
                        pending.Enqueue(message);
                        await Task.Delay(100);
                        continue;
                    }

                    Interlocked.Decrement(ref remaining);
                    if (Interlocked.Increment(ref completed) == 12)
                    {
                        await storage.StopAsync();
                        down.SetResult();
                    }
                }
            }

            async Task Outage()
            {
                await down.Task;
                await UntilAsync(() => failures.Count >= FailuresBeforeRestart);
                await storage.StartAsync();
            }

            await Task.WhenAll([.. Enumerable.Range(0, 4).Select(_ => Task.Run(Worker)), Outage()]);
        }
        finally
        {
            await storage.StartAsync();
        }

        var figures = await Workload.CountAsync(host.Get<CrmTables>().Customers, purchases, deliveries * 10, new Dictionary<int, int>());
        var (rows, checksum) = await StorageRecount.PurchaseChecksumAsync(host.Get<CrmTables>().Customers);
        output.WriteLine($"Fault (queue): {figures}; {messages.Count} messages, {deliveries} deliveries, {failures.Count} threw during the outage; checksum {(checksum == ExpectedChecksum(host, purchases) ? "matches" : "DIFFERS")}");
        Assert.NotEmpty(failures);
        Assert.All(failures, exception => Assert.True(StorageFailure.IsTransient(exception), exception.ToString()));
        Assert.Equal(0, figures.Lost);
        Assert.Equal(0, figures.Duplicated);
        Assert.Equal(0, figures.AggregateMismatches);
        Assert.Equal(purchases.Count, rows);
        Assert.Equal(ExpectedChecksum(host, purchases), checksum);

        // A storage failure is never mistaken for bad content: nothing was recorded as rejected.
        Assert.Empty(await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Rejected));
    }

    [Fact]
    public async Task Import_StorageStoppedMidRun_FailsAndReRunResumesToExactlyOnce()
    {
        await using var host = await StartAsync();
        var path = Path.Combine(_folder, "shop.csv");
        var lines = new List<string> { "transactionId,customerId,timestamp,amount,currency,quantity" };
        for (var c = 0; c < 1500; c++)
        {
            for (var p = 0; p <= c % 5; p++)
            {
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"I{c:D5}-{p},I{c:D5},2024-{1 + p:D2}-{1 + (c % 28):D2},{10 + c % 7}.{p}5,USD,{1 + p}"));
            }
        }

        await File.WriteAllLinesAsync(path, lines);
        var total = lines.Count - 1;
        var import = host.Get<ImportService>();
        var stopped = 0;

        // Progress is reported on the writing thread: stopping storage inside it cuts the run at a known point.
        var stopAtAThird = new InlineProgress(p =>
        {
            if (p.Done >= p.Total / 3 && Interlocked.Exchange(ref stopped, 1) == 0)
            {
                storage.StopAsync().GetAwaiter().GetResult();
            }
        });
        Exception failure;
        try
        {
            failure = await Assert.ThrowsAnyAsync<Exception>(() => import.ImportAsync(new ImportRequest(path, Parallelism: 2), stopAtAThird, CancellationToken.None));
        }
        finally
        {
            await storage.StartAsync();
        }

        var partial = (await StorageRecount.PurchaseChecksumAsync(host.Get<CrmTables>().Customers)).Purchases;
        var resumed = await import.ImportAsync(new ImportRequest(path), null, CancellationToken.None);

        List<Transaction> expected;
        using (var reader = new StringReader(string.Join('\n', lines)))
        {
            expected = [.. host.Get<CsvItemReader>().ReadTransactions(reader).Select(item => item.Value!)];
        }

        var (rows, checksum) = await StorageRecount.PurchaseChecksumAsync(host.Get<CrmTables>().Customers);
        var mismatches = await StorageRecount.AggregateMismatchesAsync(host.Get<CrmTables>().Customers);
        output.WriteLine($"Fault (import): {total} rows; first run stopped after {partial} stored; re-run stored {resumed.Stored}, found {resumed.AlreadyStored} already stored; " +
                         $"{rows} rows now, lost {total - rows}, duplicated {resumed.Stored + partial - total}, aggregate mismatches {mismatches.Count}; checksum {(checksum == StorageRecount.ExpectedChecksum(expected) ? "matches" : "DIFFERS")}");
        Assert.True(StorageFailure.IsTransient(failure), failure.ToString());
        Assert.InRange(partial, 1, total - 1);
        Assert.Equal(partial, resumed.AlreadyStored);
        Assert.Equal(total - partial, resumed.Stored);
        Assert.Empty(resumed.Rejections);
        Assert.Equal(total, rows);
        Assert.Equal(StorageRecount.ExpectedChecksum(expected), checksum);
        Assert.Empty(mismatches);
    }

    private static async Task<HttpCall.Response> PostOnceAsync(TestHost host, string body)
    {
        var request = HttpCall.Request("POST", "/api/transactions", body);
        return await HttpCall.InvokeAsync(request, r => host.Create<TransactionsHttp>().Post(r, CancellationToken.None));
    }

    /// <summary>Waits for a condition the run itself brings about; the bound only turns a hang into a clear failure.</summary>
    private static async Task UntilAsync(Func<bool> condition)
    {
        for (var i = 0; !condition(); i++)
        {
            Assert.True(i < 1200, "the condition was not reached within two minutes");
            await Task.Delay(100);
        }
    }

    private sealed class InlineProgress(Action<(int Done, int Total)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }
}
