using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;
using Crm.Serverless.Testing;
using Xunit.Abstractions;

namespace Crm.Serverless.Functions.Tests;

/// <summary>
/// Issue 16: <c>crm serve</c> under load and under attack, over a real socket. Sixteen clients post for a minute and
/// nothing they were told was stored is missing, doubled or different; the hostile inputs get no 5xx. Figures go
/// to RELIABILITY.md. CRM_SERVE_SECONDS shortens the minute for a quick local run. (The collection starts Azurite.)
/// </summary>
[Collection(AzuriteCollection.Name)]
public class ServeLoadTests(ITestOutputHelper output)
{
    private const int Clients = 16;
    private const int BatchSize = 10;

    /// <summary>The loop's bound besides the clock: no client sends more batches than this.</summary>
    private const int MaxBatchesPerClient = 20_000;

    private static int Setting(string name, int fallback)
        => int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

    [Fact]
    public async Task SixteenClients_PostingForAMinute_LoseAndDoubleNothing()
    {
        var seconds = Setting("CRM_SERVE_SECONDS", 60);
        await using var api = await ServedApi.StartAsync();

        // 400 customers shared by every client, so their rows are contended across clients and connections.
        var acknowledged = new ConcurrentBag<SentPurchase>();
        var statuses = new ConcurrentDictionary<int, int>();
        var accepted = 0;
        var requests = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            using var client = api.NewClient();
            var random = new Random(1600 + c);
            for (var batch = 0; batch < MaxBatchesPerClient && clock.Elapsed < TimeSpan.FromSeconds(seconds); batch++)
            {
                var purchases = Enumerable.Range(0, BatchSize).Select(i => Purchase(random, $"c{c:D2}-b{batch:D5}-{i}")).ToList();
                var body = Workload.Batch(purchases);
                for (var attempt = 1; ; attempt++)
                {
                    var response = await api.SendAsync(HttpMethod.Post, "transactions", ServedApi.FunctionKey, body, client);
                    Interlocked.Increment(ref requests);
                    statuses.AddOrUpdate(response.Status, 1, (_, n) => n + 1);
                    if (response.Status == 200)
                    {
                        var result = JsonDocument.Parse(response.Text).RootElement;
                        Interlocked.Add(ref accepted, result.GetProperty("accepted").GetInt32());
                        Assert.Equal(BatchSize, result.GetProperty("accepted").GetInt32() + result.GetProperty("duplicates").GetInt32());
                        purchases.ForEach(acknowledged.Add);
                        break;
                    }

                    // Only a storage hiccup may refuse a valid batch; the client resends the same body, as Retry-After asks.
                    Assert.Equal(503, response.Status);
                    Assert.True(attempt < 200, "a batch was refused 200 times");
                    await Task.Delay(100);
                }
            }
        })));
        clock.Stop();

        var tables = api.Host.Get<CrmTables>();
        var sent = acknowledged.ToList();
        var figures = await Workload.CountAsync(tables.Customers, sent, sent.Count, statuses);
        var (rows, checksum) = await StorageRecount.PurchaseChecksumAsync(tables.Customers);
        var parser = api.Host.Get<IngestJsonParser>();
        var expected = StorageRecount.ExpectedChecksum(sent.Chunk(100).SelectMany(chunk => parser.ParseTransactions(Encoding.UTF8.GetBytes(Workload.Batch(chunk))).Items.Select(i => i.Value!)));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"crm serve, {Clients} clients x {clock.Elapsed.TotalSeconds:F1} s, batches of {BatchSize}: {requests} requests ({requests / clock.Elapsed.TotalSeconds:F0}/s), " +
            $"{sent.Count} items acknowledged ({sent.Count / clock.Elapsed.TotalSeconds:F0}/s), {accepted} accepted, {rows} stored; {figures}; checksum {(checksum == expected ? "matches" : "DIFFERS")}"));

        Assert.True(sent.Count > 0);
        Assert.Equal(sent.Count, accepted);
        Assert.Equal(sent.Count, rows);
        Assert.Equal(0, figures.Lost);
        Assert.Equal(0, figures.Duplicated);
        Assert.Equal(0, figures.AggregateMismatches);
        Assert.Equal(expected, checksum);
    }

    private static SentPurchase Purchase(Random random, string transactionId)
    {
        var customerId = $"load-{random.Next(400):D3}";
        var amount = random.Next(100, 100_000) / 100m;
        var at = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(random.Next(0, 500_000)).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var json = string.Create(CultureInfo.InvariantCulture, $$"""{"transactionId":"{{transactionId}}","customerId":"{{customerId}}","timestamp":"{{at}}","amount":{{amount}},"currency":"USD"}""");
        return new SentPurchase(customerId, transactionId, amount, json);
    }

    [Fact]
    public async Task HostileInputs_ThroughTheSocket_GetNo5xxAndStoreNothing()
    {
        const int maxBodyBytes = 64 * 1024;
        const int maxBatchItems = 50;
        var count = Setting("CRM_FUZZ_COUNT", 2_000);
        var seed = Setting("CRM_FUZZ_SEED", 20_261_129);
        await using var api = await ServedApi.StartAsync(new Dictionary<string, string?>
        {
            ["Ingest:MaxBodyBytes"] = maxBodyBytes.ToString(CultureInfo.InvariantCulture),
            ["Ingest:MaxBatchItems"] = maxBatchItems.ToString(CultureInfo.InvariantCulture),
        });
        for (var c = 0; c < 5; c++)
        {
            Assert.Equal(201, (await api.SendAsync(HttpMethod.Post, "transactions", ServedApi.FunctionKey, $$"""{"transactionId":"seed-t","customerId":"seed-{{c}}","timestamp":"2024-05-01T14:30:00Z","amount":1,"currency":"USD"}""")).Status);
            Assert.Equal(201, (await api.SendAsync(HttpMethod.Post, "contacts", ServedApi.FunctionKey, $$"""{"customerId":"seed-{{c}}","email":"seed{{c}}@example.com"}""")).Status);
        }

        var tables = api.Host.Get<CrmTables>();
        var before = await HostileInputTests.SnapshotAsync(tables);
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var failures = new List<string>();
        foreach (var input in new HostileInputs(seed, maxBodyBytes, maxBatchItems).Generate(count).Where(i => i.Door != Door.Queue))
        {
            string outcome;
            try
            {
                using var response = await api.Client.SendAsync(Request(input));
                var status = (int)response.StatusCode;
                var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json";
                outcome = status.ToString(CultureInfo.InvariantCulture);
                if (status >= 500 || status < 400 || (!problem && !(status == 404 && input.Door == Door.GetCustomer)))
                {
                    failures.Add($"#{input.Number} {input.Door} [{input.Kind}]: {status} {(problem ? "" : "without problem details")}");
                }
            }
            catch (HttpRequestException exception)
            {
                outcome = "connection error";
                failures.Add($"#{input.Number} {input.Door} [{input.Kind}]: {exception.Message}");
            }

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        output.WriteLine($"Hostile inputs through crm serve: seed {seed}, {outcomes.Values.Sum()} HTTP inputs of {count}; " + string.Join(", ", outcomes.Select(p => $"{p.Key}: {p.Value}")));
        failures.Take(20).ToList().ForEach(output.WriteLine);
        Assert.Empty(failures);
        Assert.DoesNotContain(outcomes.Keys, status => status.StartsWith('5'));
        Assert.Equal(before, await HostileInputTests.SnapshotAsync(tables));
    }

    /// <summary>The input as a client puts it on the wire; a Content-Length that lies short sends only that many bytes.</summary>
    private static HttpRequestMessage Request(HostileInput input)
    {
        if (input.Door == Door.GetCustomer)
        {
            return ServedApi.Request(HttpMethod.Get, "customers/" + PercentEncode(input.CustomerId), ServedApi.AdminKey);
        }

        var path = input.Door switch
        {
            Door.PostTransactions => "transactions",
            Door.PostContacts => "contacts",
            Door.EraseCustomer => "privacy/erase",
            _ => "privacy/export",
        };
        var request = ServedApi.Request(HttpMethod.Post, path, ServedApi.AdminKey);
        var body = input.ContentLength is { } length && length < input.Body.Length ? input.Body[..(int)length] : input.Body;
        request.Content = input.ContentLength is null ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body);
        request.Headers.TransferEncodingChunked = input.ContentLength is null;
        if (input.ContentType is not null && !request.Content.Headers.TryAddWithoutValidation("Content-Type", input.ContentType))
        {
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        }

        return request;
    }

    /// <summary>Percent-encodes every byte outside the unreserved set, as a client library would build the path segment.</summary>
    private static string PercentEncode(string value)
        => string.Concat(Encoding.UTF8.GetBytes(value).Select(b => char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~' ? ((char)b).ToString() : $"%{b:X2}"));
}
