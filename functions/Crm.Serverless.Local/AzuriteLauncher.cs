using System.Diagnostics;
using System.Net.Sockets;

namespace Crm.Serverless.Local;

/// <summary>
/// Starts Azurite, the storage emulator, from the repository's own package.json for local runs and tests:
/// installs it with npm on first use, keeps its data in an ignored folder inside the repo, and reuses one that
/// is already listening. Development tooling only; nothing in Azure calls it.
/// </summary>
public static class AzuriteLauncher
{
    public const string ConnectionString = "UseDevelopmentStorage=true";
    private static readonly int[] Ports = [10000, 10001, 10002];

    public static async Task<bool> IsRunningAsync(CancellationToken cancellationToken)
    {
        foreach (var port in Ports)
        {
            if (!await IsListeningAsync(port, cancellationToken))
            {
                return false;
            }
        }

        return true;
    }

    /// <returns>True when this call started Azurite, false when one was already running.</returns>
    public static async Task<bool> EnsureRunningAsync(string repositoryRoot, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (await IsRunningAsync(cancellationToken))
        {
            return false;
        }

        var azurite = Path.Combine(repositoryRoot, "node_modules", ".bin", "azurite");
        if (!File.Exists(azurite))
        {
            await log.WriteLineAsync("Installing Azurite from package.json (npm, first run only)...");
            var install = File.Exists(Path.Combine(repositoryRoot, "package-lock.json")) ? "ci" : "install";
            await RunAsync("npm", [install, "--no-audit", "--no-fund", "--loglevel=error"], repositoryRoot, cancellationToken);
        }

        var dataFolder = Path.Combine(repositoryRoot, ".azurite");
        Directory.CreateDirectory(dataFolder);
        await log.WriteLineAsync($"Starting Azurite (data in {dataFolder})...");

        // setsid + nohup: Azurite outlives this process and a Ctrl-C here, so the next run finds it and reuses it.
        var command = $"setsid nohup \"{azurite}\" --silent --skipApiVersionCheck --disableProductStyleUrl --location \"{dataFolder}\" " +
                      $"--blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 > \"{Path.Combine(dataFolder, "azurite.log")}\" 2>&1 &";
        await RunAsync("/bin/sh", ["-c", command], repositoryRoot, cancellationToken);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await IsRunningAsync(cancellationToken))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"Azurite did not start within 60 s; see {Path.Combine(dataFolder, "azurite.log")}.");
            }

            await Task.Delay(250, cancellationToken);
        }

        return true;
    }

    /// <summary>The folder holding Crm.Serverless.sln, searched upwards from <paramref name="start"/>.</summary>
    public static string? FindRepositoryRoot(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Crm.Serverless.sln")))
            {
                return directory.FullName;
            }
        }

        return null;
    }

    private static async Task<bool> IsListeningAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            await client.ConnectAsync("127.0.0.1", port, timeout.Token);
            return true;
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task RunAsync(string fileName, string[] arguments, string workingDirectory, CancellationToken cancellationToken)
    {
        using var process = Process.Start(new ProcessStartInfo(fileName, arguments)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited with code {process.ExitCode}.");
        }
    }
}
