using Crm.Serverless.Core.Storage;
using System.Net.Sockets;
using Azure;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Functions.Middleware;

namespace Crm.Serverless.Functions.Tests;

public class StorageFailureTests
{
    public static TheoryData<Exception, bool> Cases => new()
    {
        { new RequestFailedException(503, "busy"), true },
        { new RequestFailedException(500, "boom"), true },
        { new RequestFailedException(429, "throttled"), true },
        { new RequestFailedException(0, "no response"), true },
        { new HttpRequestException("connection refused", new SocketException()), true },
        { new AggregateException(new RequestFailedException(503, "a"), new HttpRequestException("b")), true },
        { new RequestFailedException(404, "table not found"), false },
        { new RequestFailedException(400, "bad request"), false },
        { new InvalidOperationException("bug"), false },
        { new TaskCanceledException("timed out", new TimeoutException()), true },
        { new FileNotFoundException("No such file: missing.csv"), false },
        { new DirectoryNotFoundException("no folder"), false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void IsTransient_TellsOutagesFromBugs(Exception exception, bool transient)
        => Assert.Equal(transient, StorageFailure.IsTransient(exception));

    [Fact]
    public async Task StorageUnavailable_Is503ProblemWithRetryAfter()
    {
        var request = HttpCall.Request("POST", "/api/transactions");

        var response = await HttpCall.ExecuteAsync(Problems.StorageUnavailable(request, StorageFailure.RetryAfterSeconds), request);

        Assert.Equal(503, response.Status);
        Assert.Equal("5", response.Headers.RetryAfter.ToString());
        Assert.StartsWith("application/problem+json", response.ContentType, StringComparison.Ordinal);
        Assert.Equal(503, response.Json.GetProperty("status").GetInt32());
    }
}
