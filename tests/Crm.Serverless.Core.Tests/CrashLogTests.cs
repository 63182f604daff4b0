namespace Crm.Serverless.Core.Tests;

public sealed class CrashLogTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("crm-crash-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Write_KeepsTheWholeExceptionWithItsStackTraceUnderDotCrm()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("a bug");
        }
        catch (InvalidOperationException exception)
        {
            thrown = exception;
        }

        var file = Cli.CrashLog.Write(thrown, _root);

        Assert.Equal(Path.Combine(_root, ".crm", "crash.log"), file);
        var text = File.ReadAllText(file!);
        Assert.Contains("System.InvalidOperationException: a bug", text, StringComparison.Ordinal);
        Assert.Contains("   at ", text, StringComparison.Ordinal);
    }
}
