using System.Diagnostics;
using System.Globalization;
using System.Text;
using Crm.Serverless.Cli.Serve;
using Crm.Serverless.Core.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Serverless.Cli.Bench;

/// <summary>Posts of one kind: how many, how many items each, and their latencies.</summary>
internal sealed record HttpSeries(string Name, int Posts, int ItemsPerPost, double Seconds, double P50Milliseconds, double P99Milliseconds, int Failed)
{
    public double ItemsPerSecond => Seconds > 0 ? Posts * ItemsPerPost / Seconds : 0;
}

/// <summary>
/// The HTTP door as a shop sees it: <c>POST /api/transactions</c> over a loopback socket to <c>crm serve</c>'s host
/// (Kestrel, the Functions app's own HTTP classes, keys checked), on tables of its own, against real storage. The
/// bench speaks only HTTP, so it needs none of the Functions app's types. One caller, posts in sequence.
/// </summary>
internal static class HttpBench
{
    public static async Task<IReadOnlyList<HttpSeries>> RunAsync(int singlePosts, int batchPosts, CancellationToken cancellationToken)
    {
        var prefix = "bench" + Guid.NewGuid().ToString("N")[..8];
        var key = ServeKeys.NewKey();
        await using var app = ServeHost.Build(
            new ServeSettings(Port: 0, key, ServeKeys.NewKey()),
            new Dictionary<string, string?>
            {
                ["Storage:TablePrefix"] = prefix,
                ["Ingest:QueueName"] = prefix + "-ingest",
            });
        await app.StartAsync(cancellationToken);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(ServeHost.BaseUrl(app) + "/") };
            client.DefaultRequestHeaders.Add(ServeKeys.Header, key);
            return await SeriesAsync(client, singlePosts, batchPosts, cancellationToken);
        }
        finally
        {
            await app.Services.GetRequiredService<CrmTables>().DeleteAllAsync(CancellationToken.None);
            await app.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<IReadOnlyList<HttpSeries>> SeriesAsync(HttpClient client, int singlePosts, int batchPosts, CancellationToken cancellationToken)
    {
        var next = 0;

        // Purchases spread over many customers and so over many partitions, as a shop's traffic is.
        string Purchase()
        {
            var n = next++;
            return string.Create(CultureInfo.InvariantCulture,
                $$"""{"transactionId":"h{{n}}","customerId":"hc{{n % 5000}}","timestamp":"2024-05-01T14:30:00Z","amount":{{10 + (n % 90)}}.50,"currency":"USD","quantity":1}""");
        }

        string Batch() => "[" + string.Join(',', Enumerable.Range(0, 500).Select(_ => Purchase())) + "]";

        // A few untimed posts first, so the figures are the door's steady state, not JIT and connection set-up.
        await SeriesAsync("warm-up", client, 5, 1, Purchase, cancellationToken);
        await SeriesAsync("warm-up", client, 1, 500, Batch, cancellationToken);
        var single = await SeriesAsync("single", client, singlePosts, 1, Purchase, cancellationToken);
        var batch = await SeriesAsync("batch of 500", client, batchPosts, 500, Batch, cancellationToken);
        return [single, batch];
    }

    private static async Task<HttpSeries> SeriesAsync(string name, HttpClient client, int posts, int items, Func<string> body, CancellationToken cancellationToken)
    {
        var latencies = new double[posts];
        var failed = 0;
        var total = Stopwatch.StartNew();
        for (var i = 0; i < posts; i++)
        {
            using var content = new StringContent(body(), Encoding.UTF8, "application/json");
            var stopwatch = Stopwatch.StartNew();
            using var response = await client.PostAsync("transactions", content, cancellationToken);
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            latencies[i] = stopwatch.Elapsed.TotalMilliseconds;
            if ((int)response.StatusCode >= 300)
            {
                failed++;
            }
        }

        total.Stop();
        Array.Sort(latencies);
        return new HttpSeries(name, posts, items, total.Elapsed.TotalSeconds, Percentile(latencies, 0.50), Percentile(latencies, 0.99), failed);
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(double[] sorted, double p)
        => sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
