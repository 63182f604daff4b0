using System.Diagnostics;
using System.Text;

namespace Crm.Serverless.Core.Tests;

/// <summary>What one run of the real <c>crm</c> process printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Output, string Error)
{
    public string All => Output + Error;

    /// <summary>A .NET stack trace has lines starting "   at "; an unhandled exception also names its type.</summary>
    public bool HasStackTrace => All.Contains("   at ", StringComparison.Ordinal) || All.Contains("Unhandled exception", StringComparison.Ordinal);
}

/// <summary>
/// Runs <c>crm</c> as a separate process, as a user's shell does: its own environment, console and exit code.
/// The test project references the CLI, so <c>crm.dll</c> sits in the test output folder.
/// </summary>
public static class CliProcess
{
    public static async Task<CliRun> RunAsync(
        IReadOnlyList<string> args,
        IDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        string? standardInput = null,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "crm.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"crm {string.Join(' ', args)} did not finish in time. Output so far: {await output}{await error}");
        }

        return new CliRun(process.ExitCode, await output, await error);
    }
}
