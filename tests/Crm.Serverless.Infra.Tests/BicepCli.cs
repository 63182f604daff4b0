using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace Crm.Serverless.Infra.Tests;

public sealed record BicepResult(int ExitCode, string StdOut, string StdErr)
{
    public string Output => StdOut + StdErr;

    /// <summary>Every line of stdout or stderr that is a Warning or Error diagnostic.</summary>
    public IReadOnlyList<string> Diagnostics => BicepCli.FindDiagnostics(Output);

    public string Describe() =>
        $"exit code {ExitCode}{Environment.NewLine}--- stdout ---{Environment.NewLine}{StdOut}{Environment.NewLine}--- stderr ---{Environment.NewLine}{StdErr}";
}

/// <summary>Runs the bicep CLI restored from the Azure.Bicep.CommandLine.linux-x64 package.</summary>
public static partial class BicepCli
{
    private static readonly Lazy<string> LazyPath = new(ResolvePath);

    public static string ExecutablePath => LazyPath.Value;

    public static BicepResult Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(ExecutablePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {ExecutablePath}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish within 3 minutes.");
        }

        return new BicepResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    public static IReadOnlyList<string> FindDiagnostics(string output) =>
        output.Split('\n')
            .Select(line => line.TrimEnd('\r'))
            .Where(line => DiagnosticLine().IsMatch(line))
            .ToList();

    private static string ResolvePath()
    {
        var path = Environment.GetEnvironmentVariable("BICEP_PATH");
        if (string.IsNullOrWhiteSpace(path))
        {
            path = typeof(BicepCli).Assembly
                .GetCustomAttributes<AssemblyMetadataAttribute>()
                .SingleOrDefault(a => a.Key == "BicepPath")?.Value;
        }

        if (string.IsNullOrWhiteSpace(path) || !File.Exists(path))
        {
            throw new FileNotFoundException(
                $"bicep CLI not found at '{path}'. Restore the test project (Azure.Bicep.CommandLine.linux-x64) or set BICEP_PATH.");
        }

        if (!OperatingSystem.IsWindows())
        {
            // NuGet extraction does not always keep the executable bit.
            var mode = File.GetUnixFileMode(path);
            const UnixFileMode executable = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            if ((mode & UnixFileMode.UserExecute) == 0)
            {
                File.SetUnixFileMode(path, mode | executable);
            }
        }

        return path;
    }

    // Bicep diagnostics look like "path(12,5) : Warning rule-name: message"; also catch bare "Error ..." lines.
    [GeneratedRegex(@"\b(Warning|Error)\b", RegexOptions.CultureInvariant)]
    private static partial Regex DiagnosticLine();
}
