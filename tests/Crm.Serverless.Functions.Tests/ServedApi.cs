using System.Net.Http.Headers;
using System.Text;
using Crm.Serverless.Cli.Serve;
using Crm.Serverless.Testing;
using Microsoft.AspNetCore.Builder;

namespace Crm.Serverless.Functions.Tests;

/// <summary>
/// <c>crm serve</c>'s host started in-process on a free loopback port, on a store of its own, with a client that
/// talks to it over a real socket. Disposing it stops the host and deletes its tables, queues and containers.
/// </summary>
internal sealed class ServedApi : IAsyncDisposable
{
    public const string FunctionKey = "function-key-of-the-tests";
    public const string AdminKey = "admin-key-of-the-tests-0001";

    private ServedApi(WebApplication app, TestHost host)
    {
        App = app;
        Host = host;
        BaseUrl = ServeHost.BaseUrl(app);
        Client = NewClient();
    }

    public WebApplication App { get; }

    /// <summary>The same services the server runs on, for seeding and recounting storage.</summary>
    public TestHost Host { get; }

    /// <summary><c>http://127.0.0.1:PORT/api</c>.</summary>
    public Uri BaseUrl { get; }

    public HttpClient Client { get; }

    public static async Task<ServedApi> StartAsync(IDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configure = null)
    {
        var (id, values) = AzuriteFixture.NewStore(settings);
        var app = ServeHost.Build(new ServeSettings(0, FunctionKey, AdminKey), values, configure);
        await app.StartAsync();
        return new ServedApi(app, new TestHost(app, id));
    }

    /// <summary>A client of its own (its own connection pool), as a separate shop system would be.</summary>
    public HttpClient NewClient() => new() { BaseAddress = new Uri(BaseUrl + "/"), Timeout = TimeSpan.FromMinutes(2) };

    public static HttpRequestMessage Request(HttpMethod method, string path, string? key, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Add(ServeKeys.Header, key);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        }

        return request;
    }

    public async Task<(int Status, string ContentType, string Text)> SendAsync(HttpMethod method, string path, string? key, string? json = null, HttpClient? client = null)
    {
        using var response = await (client ?? Client).SendAsync(Request(method, path, key, json));
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.ToString() ?? "", await response.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
        await App.DisposeAsync();
    }
}
