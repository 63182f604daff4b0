using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Crm.Serverless.Local;
using Xunit;

namespace Crm.Serverless.Testing;

/// <summary>
/// An Azurite of its own for tests that stop storage on purpose: other loopback ports than the shared one, data on
/// disk in a temporary folder, so <see cref="StopAsync"/> then <see cref="StartAsync"/> is an outage that keeps
/// what was stored. Stopping sends SIGTERM: Azurite then saves its database, as a real service keeps acknowledged
/// writes (a SIGKILL could drop its last few seconds of autosave, an emulator artefact, not a lost update).
/// </summary>
public sealed class DedicatedAzurite : IAsyncLifetime
{
    /// <summary>Azurite's published development account key (the same for every Azurite; not a secret).</summary>
    private const string WellKnownKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly string _folder = Directory.CreateTempSubdirectory("crm-azurite-").FullName;
    private readonly int[] _ports = [FreePort(), FreePort(), FreePort()];
    private Process? _process;

    public string RepositoryRoot { get; } = AzuriteLauncher.FindRepositoryRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("Tests must run inside the repository.");

    public string ConnectionString
        => "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + WellKnownKey + ";" +
           $"BlobEndpoint=http://127.0.0.1:{_ports[0]}/devstoreaccount1;" +
           $"QueueEndpoint=http://127.0.0.1:{_ports[1]}/devstoreaccount1;" +
           $"TableEndpoint=http://127.0.0.1:{_ports[2]}/devstoreaccount1;";

    /// <summary>Settings for <see cref="AzuriteFixture.StartHostAsync"/>: this Azurite, and SDK retries short enough that an outage shows at once.</summary>
    public Dictionary<string, string?> HostSettings(IDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["CrmStorage"] = ConnectionString,
            ["Storage:RetryMaxAttempts"] = "1",
            ["Storage:RetryDelay"] = "00:00:00.050",
            ["Storage:NetworkTimeout"] = "00:00:05",
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    public bool IsRunning => _process is { HasExited: false };

    public Task InitializeAsync() => StartAsync();

    public async Task DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_folder, recursive: true);
    }

    public async Task StartAsync()
    {
        if (IsRunning)
        {
            return;
        }

        var azurite = Path.Combine(RepositoryRoot, "node_modules", ".bin", "azurite");
        if (!File.Exists(azurite))
        {
            throw new InvalidOperationException($"{azurite} is missing; run npm ci in {RepositoryRoot}.");
        }

        _process = Process.Start(new ProcessStartInfo(azurite,
        [
            "--silent", "--skipApiVersionCheck", "--disableProductStyleUrl", "--disableTelemetry", "--location", _folder,
            "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
            "--blobPort", _ports[0].ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--queuePort", _ports[1].ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tablePort", _ports[2].ToString(System.Globalization.CultureInfo.InvariantCulture),
        ])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("Could not start Azurite.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!await ListeningAsync(_ports[2]) || !await ListeningAsync(_ports[1]) || !await ListeningAsync(_ports[0]))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with code {_process.ExitCode} on start.");
            }

            await Task.Delay(100, deadline.Token);
        }
    }

    /// <summary>Stops Azurite gracefully (SIGTERM) and waits until it has exited and saved its data.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        if (!process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        process.Dispose();
        _process = null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> ListeningAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
