namespace Crm.Serverless.Core.Tests;

/// <summary>The real process answers as a shell user sees it: exit code, output, no stack trace.</summary>
public sealed class CliProcessTests
{
    [Fact]
    public async Task Help_ListsTheCommandsAndExitsZero()
    {
        var run = await CliProcess.RunAsync(["--help"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("demo", run.Output, StringComparison.Ordinal);
        Assert.Contains("import", run.Output, StringComparison.Ordinal);
        Assert.False(run.HasStackTrace, run.All);
    }
}
