using System.Diagnostics;
using System.Globalization;
using System.Text;
using Crm.Serverless.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Serverless.Cli.Bench;

/// <summary>Posts of one kind: how many, how many items each, and their latencies.</summary>
internal sealed record HttpSeries(string Name, int Posts, int ItemsPerPost, double Seconds, double P50Milliseconds, double P99Milliseconds, int Failed)
{
    public double ItemsPerSecond => Seconds > 0 ? Posts * ItemsPerPost / Seconds : 0;
}

/// <summary>
/// The HTTP door in-process: <see cref="TransactionsHttp"/> called with a real <see cref="DefaultHttpContext"/>, as the
/// function tests do, its result executed into the response, against real storage. One caller, posts in sequence.
/// </summary>
internal static class HttpBench
{
    public static async Task<IReadOnlyList<HttpSeries>> RunAsync(IServiceProvider services, int singlePosts, int batchPosts, CancellationToken cancellationToken)
    {
        var function = ActivatorUtilities.CreateInstance<TransactionsHttp>(services);
        var next = 0;

        // Purchases spread over many customers and so over many partitions, as a shop's traffic is.
        string Purchase()
        {
            var n = next++;
            return string.Create(CultureInfo.InvariantCulture,
                $$"""{"transactionId":"h{{n}}","customerId":"hc{{n % 5000}}","timestamp":"2024-05-01T14:30:00Z","amount":{{10 + (n % 90)}}.50,"currency":"USD","quantity":1}""");
        }

        // A few untimed posts first, so the figures are the door's steady state, not JIT and connection set-up.
        await SeriesAsync("warm-up", function, 5, 1, _ => Purchase(), cancellationToken);
        await SeriesAsync("warm-up", function, 1, 500, _ => "[" + string.Join(',', Enumerable.Range(0, 500).Select(_ => Purchase())) + "]", cancellationToken);
        var single = await SeriesAsync("single", function, singlePosts, 1, _ => Purchase(), cancellationToken);
        var batch = await SeriesAsync("batch of 500", function, batchPosts, 500, _ => "[" + string.Join(',', Enumerable.Range(0, 500).Select(_ => Purchase())) + "]", cancellationToken);
        return [single, batch];
    }

    private static async Task<HttpSeries> SeriesAsync(string name, TransactionsHttp function, int posts, int items, Func<int, string> body, CancellationToken cancellationToken)
    {
        var latencies = new double[posts];
        var failed = 0;
        var total = Stopwatch.StartNew();
        for (var i = 0; i < posts; i++)
        {
            var request = Request(body(i));
            var stopwatch = Stopwatch.StartNew();
            var result = await function.Post(request, cancellationToken);
            await result.ExecuteResultAsync(new ActionContext(request.HttpContext, new RouteData(), new ActionDescriptor()));
            latencies[i] = stopwatch.Elapsed.TotalMilliseconds;
            if (request.HttpContext.Response.StatusCode >= 300)
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

    private static HttpRequest Request(string body)
    {
        var context = new DefaultHttpContext();
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Request.Method = "POST";
        context.Request.Path = "/api/transactions";
        context.Request.Body = new MemoryStream(bytes);
        context.Request.ContentLength = bytes.Length;
        context.Request.ContentType = "application/json";
        context.Response.Body = new MemoryStream();
        return context.Request;
    }
}
