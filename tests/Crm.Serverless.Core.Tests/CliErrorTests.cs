using Crm.Serverless.Cli;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>The command line answers unreachable storage with advice and an exit code, not a stack trace.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class CliErrorTests : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), $"crm-{Guid.NewGuid():N}.csv");

    public void Dispose() => File.Delete(_output);

    [Fact]
    public async Task Export_StorageUnreachable_ExitsWithAdviceInsteadOfAStackTrace()
    {
        // Port 9 (discard) on loopback has no storage behind it; no retries so the test stays quick.
        Environment.SetEnvironmentVariable("CrmStorage", "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;");
        Environment.SetEnvironmentVariable("Storage__RetryMaxAttempts", "0");
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try
        {
            var exitCode = await CrmCommandLine.RunAsync(["export", "--out", _output]);

            Assert.Equal(1, exitCode);
            Assert.Contains("Storage cannot be reached", error.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Console.SetError(previous);
            Environment.SetEnvironmentVariable("CrmStorage", null);
            Environment.SetEnvironmentVariable("Storage__RetryMaxAttempts", null);
        }
    }
}
