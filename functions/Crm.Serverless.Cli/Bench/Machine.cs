using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Crm.Serverless.Cli.Bench;

/// <summary>What the figures were measured on; other agents and builds share the machine, so load goes beside each figure.</summary>
internal static class Machine
{
    public static string Describe()
        => string.Create(CultureInfo.InvariantCulture,
            $"{Environment.ProcessorCount} cores, {TotalMemoryBytes() / (1024.0 * 1024 * 1024):0.0} GiB memory, {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture}), {RuntimeInformation.FrameworkDescription}");

    /// <summary>The 1-minute load average, or "n/a" where /proc/loadavg does not exist.</summary>
    public static string Load()
        => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    public static long TotalMemoryBytes() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>
    /// The process's peak resident set: VmHWM on Linux (what Process.PeakWorkingSet64 reads there too), the
    /// peak working set elsewhere.
    /// </summary>
    public static long PeakWorkingSetBytes()
    {
        if (File.Exists("/proc/self/status"))
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
                }
            }
        }

        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    /// <summary>
    /// Resets the kernel's resident-set high-water mark of this process (Linux: "5" to /proc/self/clear_refs), so
    /// <see cref="PeakWorkingSetBytes"/> measures from now on.
    /// </summary>
    /// <returns>False where that is not possible (another OS, a locked-down /proc).</returns>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>How to start this command line again as a child process: the dotnet host and crm.dll.</summary>
    public static ProcessStartInfo Crm(IEnumerable<string> arguments)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path
            ? path
            : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(Machine).Assembly.Location);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    /// <summary>Runs a child crm; returns its standard output, throws with its error output when it fails.</summary>
    public static async Task<(string Output, TimeSpan Elapsed)> RunCrmAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        using var child = Process.Start(Crm(arguments)) ?? throw new InvalidOperationException("Could not start a child crm process.");
        var output = child.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = child.StandardError.ReadToEndAsync(cancellationToken);
        await child.WaitForExitAsync(cancellationToken);
        stopwatch.Stop();
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"crm {string.Join(' ', arguments)} failed with exit code {child.ExitCode}: {await error}");
        }

        return (await output, stopwatch.Elapsed);
    }
}
