using System.Collections.Concurrent;
using System.Globalization;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Functions.Tests;

/// <summary>One purchase a test sends, with the JSON it is sent as (the same text on every retry).</summary>
internal sealed record SentPurchase(string CustomerId, string TransactionId, decimal Amount, string Json);

/// <summary>What a run sent and what storage holds afterwards: the figures RELIABILITY.md reports.</summary>
internal sealed record RunFigures(int Sent, int Deliveries, int Stored, int Lost, int Duplicated, int AggregateMismatches, IReadOnlyDictionary<int, int> Statuses)
{
    public override string ToString()
        => $"sent {Sent}, deliveries {Deliveries}, stored {Stored}, lost {Lost}, duplicated {Duplicated}, aggregate mismatches {AggregateMismatches}; " +
           "statuses " + string.Join(", ", Statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"));
}

/// <summary>Seeded purchases, HTTP sends the way a shop client makes them, and the nothing-lost/nothing-doubled count.</summary>
internal static class Workload
{
    public static List<SentPurchase> Purchases(int seed, int customers, int count, string prefix = "cust")
    {
        var random = new Random(seed);
        var start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        return [.. Enumerable.Range(0, count).Select(n =>
        {
            var customerId = $"{prefix}-{random.Next(customers):D3}";
            var transactionId = $"tx-{n:D5}";
            var amount = random.Next(100, 100_000) / 100m;
            var at = start.AddMinutes(random.Next(0, 500_000)).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            var json = string.Create(CultureInfo.InvariantCulture, $$"""{"transactionId":"{{transactionId}}","customerId":"{{customerId}}","timestamp":"{{at}}","amount":{{amount}},"currency":"USD"}""");
            return new SentPurchase(customerId, transactionId, amount, json);
        })];
    }

    public static string Batch(IEnumerable<SentPurchase> purchases) => "[" + string.Join(',', purchases.Select(p => p.Json)) + "]";

    /// <summary>
    /// POSTs through the function as the host would run it; on 503 waits and sends the same body again, as the
    /// Retry-After header asks a client to. Every status seen is counted in <paramref name="statuses"/>.
    /// </summary>
    public static async Task<HttpCall.Response> PostTransactionsAsync(TestHost host, string body, ConcurrentDictionary<int, int> statuses, int maxAttempts = 200)
    {
        for (var attempt = 1; ; attempt++)
        {
            var request = HttpCall.Request("POST", "/api/transactions", body);
            var response = await HttpCall.InvokeAsync(request, r => host.Create<TransactionsHttp>().Post(r, CancellationToken.None), "PostTransactions");
            statuses.AddOrUpdate(response.Status, 1, (_, n) => n + 1);
            if (response.Status != 503 || attempt == maxAttempts)
            {
                return response;
            }

            Assert.Equal("5", response.Headers.RetryAfter.ToString());

            // Retry-After says 5 s; the tests wait less so a run stays short. The body is resent unchanged.
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Compares storage with what was sent: a purchase is lost when its row is missing or holds other content;
    /// duplicated counts rows nobody sent plus purchases counted more than once in a customer's aggregates.
    /// </summary>
    public static async Task<RunFigures> CountAsync(TableClient customers, IReadOnlyList<SentPurchase> sent, int deliveries, IReadOnlyDictionary<int, int> statuses)
    {
        var rows = (await StorageRecount.AllRowsAsync(customers)).Where(row => !CrmKeys.IsCustomerRow(row.RowKey)).ToDictionary(row => row.RowKey, StringComparer.Ordinal);
        var lost = sent.Count(p => !rows.TryGetValue(CrmKeys.TransactionRow(p.CustomerId, p.TransactionId), out var row)
            || row.GetInt64(nameof(TransactionEntity.AmountScaled)) != Money.ToScaled(p.Amount));
        var expected = sent.Select(p => CrmKeys.TransactionRow(p.CustomerId, p.TransactionId)).ToHashSet(StringComparer.Ordinal);
        var unexpected = rows.Keys.Count(key => !expected.Contains(key));
        var recount = await StorageRecount.RecountAsync(customers);
        var countedTwice = recount.Values.Sum(c => Math.Max(0, (c.Customer?.PurchaseCount ?? 0) - c.Purchases));
        var mismatches = (await StorageRecount.AggregateMismatchesAsync(customers)).Count;
        return new RunFigures(sent.Count, deliveries, rows.Count, lost, unexpected + countedTwice, mismatches, new Dictionary<int, int>(statuses));
    }
}
