using System.CommandLine;
using Crm.Serverless.Cli.Serve;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Local;
using Microsoft.AspNetCore.Builder;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Hosting;

namespace Crm.Serverless.Cli.Commands;

/// <summary>
/// <c>crm serve</c>: the HTTP API on http://127.0.0.1:7071/api for shop developers without Azure Functions Core
/// Tools; Azurite is started if none is listening. Ctrl+C stops it.
/// </summary>
internal static class ServeCommand
{
    public const int DefaultPort = 7071;

    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = $"Port on 127.0.0.1 (default {DefaultPort}, as func start)", DefaultValueFactory = _ => DefaultPort };
        var key = new Option<string?>("--key") { Description = "The function key every keyed route requires (default: a random key, printed)" };
        var adminKey = new Option<string?>("--admin-key") { Description = "The key of the admin routes, privacy/erase and privacy/export (default: a random key, printed)" };
        var command = new Command("serve", "Serve the HTTP API locally (the Functions app's HTTP functions on ASP.NET Core), on Azurite.") { port, key, adminKey };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new ServeSettings(parse.GetValue(port), parse.GetValue(key) ?? ServeKeys.NewKey(), parse.GetValue(adminKey) ?? ServeKeys.NewKey());
            if (Usage(settings) is { } usage)
            {
                await Console.Error.WriteLineAsync(usage);
                return CrmCommandLine.UsageError;
            }

            return await RunAsync(settings, cancellationToken);
        });
        return command;
    }

    private static string? Usage(ServeSettings settings)
    {
        if (settings.Port is < 1 or > 65535)
        {
            return "--port must be from 1 to 65535.";
        }

        if (ServeKeys.Check(settings.FunctionKey) is { } keyProblem)
        {
            return "--key " + keyProblem + ".";
        }

        if (ServeKeys.Check(settings.AdminKey) is { } adminProblem)
        {
            return "--admin-key " + adminProblem + ".";
        }

        return settings.FunctionKey == settings.AdminKey ? "--key and --admin-key must differ: the admin key is the only one that can erase or export a customer." : null;
    }

    private static async Task<int> RunAsync(ServeSettings settings, CancellationToken cancellationToken)
    {
        var started = await AzuriteLauncher.EnsureRunningAsync(CliHost.RepositoryRoot(), Console.Out, cancellationToken);
        Console.WriteLine(started ? "Storage: Azurite started on 127.0.0.1:10000-10002" : "Storage: reusing the Azurite already listening on 127.0.0.1:10000-10002");

        await using var app = ServeHost.Build(settings);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException exception)
        {
            await Console.Error.WriteLineAsync($"Cannot listen on 127.0.0.1:{settings.Port} ({exception.Message}). Stop what uses it or pass --port N.");
            return 1;
        }

        PrintStart(ServeHost.BaseUrl(app), settings);
        await app.WaitForShutdownAsync(cancellationToken);
        Console.WriteLine("crm serve stopped.");
        return 0;
    }

    private static void PrintStart(Uri baseUrl, ServeSettings settings)
    {
        Console.WriteLine($"Serving the HTTP API on {baseUrl} (Ctrl+C stops)");
        Console.WriteLine($"Function key: {settings.FunctionKey}   (every keyed route; --key to choose it)");
        Console.WriteLine($"Admin key:    {settings.AdminKey}   (privacy/erase and privacy/export; --admin-key to choose it)");
        Console.WriteLine("Send a key as the x-functions-key header or ?code=. Routes:");
        foreach (var function in HttpFunctionCatalog.All.OrderBy(f => f.Route, StringComparer.Ordinal))
        {
            var level = function.AuthLevel switch
            {
                AuthorizationLevel.Anonymous => "no key",
                AuthorizationLevel.Function => "function key",
                _ => "admin key",
            };
            Console.WriteLine($"  {string.Join(',', function.Methods).ToUpperInvariant(),-7} {baseUrl}/{function.Route}  ({level})");
        }

        Console.WriteLine("Try:");
        Console.WriteLine($"""  curl -s -X POST "{baseUrl}/transactions" -H "x-functions-key: {settings.FunctionKey}" -H 'Content-Type: application/json' \""");
        Console.WriteLine("""    -d '{"transactionId":"T-1001","customerId":"C-42","timestamp":"2024-05-01T14:30:00Z","amount":59.90,"currency":"USD"}'""");
    }
}
