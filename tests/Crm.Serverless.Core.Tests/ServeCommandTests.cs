using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Crm.Serverless.Local;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>The real <c>crm serve</c> process: what it prints at start, that the printed key works, and a clean stop.</summary>
[Collection(AzuriteCollection.Name)]
public sealed partial class ServeCommandTests(AzuriteFixture azurite)
{
    [Theory]
    [InlineData("--key", "short")]
    [InlineData("--admin-key", "has spaces in it, not allowed")]
    [InlineData("--port", "70000")]
    public async Task Serve_UnusableOption_IsAUsageErrorWithoutAStackTrace(string option, string value)
    {
        var run = await CliProcess.RunAsync(["serve", option, value]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(option, run.Error, StringComparison.Ordinal);
        Assert.False(run.HasStackTrace, run.All);
    }

    [Fact]
    public async Task Serve_SameKeyForBoth_IsAUsageError()
    {
        var run = await CliProcess.RunAsync(["serve", "--key", "the-same-key-for-both", "--admin-key", "the-same-key-for-both"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("must differ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_PrintsUrlKeysAndCurl_ServesWithThePrintedKey_AndStopsCleanlyOnSigterm()
    {
        var (id, _) = AzuriteFixture.NewStore();
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = azurite.RepositoryRoot,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "crm.dll"), "serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["Storage__TablePrefix"] = id;
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var error = process.StandardError.ReadToEndAsync();
        string key, adminKey, printed, rest;
        HttpStatusCode posted, keyless, erased;
        try
        {
            string? line;
            while ((line = await process.StandardOutput.ReadLineAsync()) is not null)
            {
                output.AppendLine(line);
                if (line.StartsWith("    -d ", StringComparison.Ordinal))
                {
                    break;
                }
            }

            printed = output.ToString();
            key = FunctionKey().Match(printed).Groups[1].Value;
            adminKey = AdminKey().Match(printed).Groups[1].Value;
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/api/") };
            using var post = new HttpRequestMessage(HttpMethod.Post, "transactions") { Content = Json("""{"transactionId":"T-1","customerId":"C-1","timestamp":"2024-05-01T14:30:00Z","amount":5,"currency":"USD"}""") };
            post.Headers.Add("x-functions-key", key);
            posted = (await client.SendAsync(post)).StatusCode;
            keyless = (await client.GetAsync("customers/C-1")).StatusCode;
            erased = (await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"privacy/erase?code={adminKey}") { Content = Json("""{"customerId":"C-1"}""") })).StatusCode;

            // SIGTERM, what a service manager sends; Ctrl+C (SIGINT) takes the same path through the host's lifetime.
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            rest = await process.StandardOutput.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.Contains($"Serving the HTTP API on http://127.0.0.1:{port}/api", printed, StringComparison.Ordinal);
        Assert.Matches("^[A-Za-z0-9_-]{40}$", key);
        Assert.Matches("^[A-Za-z0-9_-]{40}$", adminKey);
        Assert.NotEqual(key, adminKey);
        Assert.Contains($"""curl -s -X POST "http://127.0.0.1:{port}/api/transactions" -H "x-functions-key: {key}" """, printed, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, posted);
        Assert.Equal(HttpStatusCode.Unauthorized, keyless);
        Assert.Equal(HttpStatusCode.OK, erased);
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("crm serve stopped.", rest, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", printed + rest + await error, StringComparison.Ordinal);
        await DeleteStoreAsync(id);
    }

    /// <summary>The served process created this store's tables, queues and containers; nothing else knows to remove them.</summary>
    private static async Task DeleteStoreAsync(string id)
    {
        var tables = new TableServiceClient(AzuriteLauncher.ConnectionString);
        await foreach (var table in tables.QueryAsync())
        {
            if (table.Name.StartsWith(id, StringComparison.OrdinalIgnoreCase))
            {
                await tables.DeleteTableAsync(table.Name);
            }
        }

        var queues = new QueueServiceClient(AzuriteLauncher.ConnectionString);
        await foreach (var queue in queues.GetQueuesAsync(prefix: id.ToLowerInvariant()))
        {
            await queues.DeleteQueueAsync(queue.Name);
        }

        var blobs = new BlobServiceClient(AzuriteLauncher.ConnectionString);
        await foreach (var container in blobs.GetBlobContainersAsync(prefix: id.ToLowerInvariant()))
        {
            await blobs.DeleteBlobContainerAsync(container.Name);
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"Function key: (\S+)")]
    private static partial Regex FunctionKey();

    [GeneratedRegex(@"Admin key:\s+(\S+)")]
    private static partial Regex AdminKey();
}
