using Crm.Serverless.Testing;

namespace Crm.Serverless.Functions.Tests;

/// <summary>
/// A storage outage under <c>crm serve</c> answers as under the Functions host: what a function throws goes through
/// <see cref="Middleware.ExceptionMiddleware.ToProblem"/>, 503 problem details with Retry-After. Uses its own Azurite,
/// stopped mid-test, never the shared one.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class ServeOutageTests(DedicatedAzurite storage) : IClassFixture<DedicatedAzurite>
{
    private const string Purchase = """{"transactionId":"T-1","customerId":"C-1","timestamp":"2024-05-01T14:30:00Z","amount":5,"currency":"USD"}""";

    [Fact]
    public async Task StorageDown_WritesAndReadsAnswer503WithRetryAfter_ThenRecover()
    {
        await using var api = await ServedApi.StartAsync(storage.HostSettings());
        Assert.Equal(201, (await api.SendAsync(HttpMethod.Post, "transactions", ServedApi.FunctionKey, Purchase)).Status);

        await storage.StopAsync();
        using var write = await api.Client.SendAsync(ServedApi.Request(HttpMethod.Post, "transactions", ServedApi.FunctionKey, Purchase.Replace("T-1", "T-2", StringComparison.Ordinal)));
        using var read = await api.Client.SendAsync(ServedApi.Request(HttpMethod.Get, "customers/C-1", ServedApi.FunctionKey));
        await storage.StartAsync();
        var retried = await api.SendAsync(HttpMethod.Post, "transactions", ServedApi.FunctionKey, Purchase.Replace("T-1", "T-2", StringComparison.Ordinal));

        foreach (var response in new[] { write, read })
        {
            Assert.Equal(503, (int)response.StatusCode);
            Assert.Equal("5", response.Headers.RetryAfter?.ToString());
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(response.Headers.Contains(Middleware.ExceptionMiddleware.CorrelationHeader));
        }

        Assert.Equal(201, retried.Status);
    }
}
