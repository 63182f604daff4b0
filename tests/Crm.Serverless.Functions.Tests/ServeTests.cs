using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Crm.Serverless.Cli.Serve;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Functions.Middleware;
using Crm.Serverless.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Functions.Tests;

/// <summary>Issue 16: <c>crm serve</c> over a real socket: every route, the keys, the limits, and the Entra role check.</summary>
[Collection(AzuriteCollection.Name)]
public class ServeTests(AzuriteFixture azurite)
{
    private const string Purchase = """{"transactionId":"T-1001","customerId":"C-42","timestamp":"2024-05-01T14:30:00Z","amount":59.90,"currency":"USD"}""";

    [Fact]
    public async Task Endpoints_AreExactlyTheCatalogsFunctions_UnderHostJsonsRoutePrefix()
    {
        await using var api = await ServedApi.StartAsync();

        var endpoints = ((IEndpointRouteBuilder)api.App).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Select(e => $"{string.Join(',', e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => m.ToLowerInvariant()))} {e.RoutePattern.RawText} {e.Metadata.GetMetadata<HttpFunction>()!.Name}")
            .Order(StringComparer.Ordinal);
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(azurite.RepositoryRoot, "host.json")));
        var prefix = host.RootElement.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString();

        Assert.Equal(ServeHost.RoutePrefix, prefix);
        Assert.Equal(HttpFunctionCatalog.All.Select(f => $"{string.Join(',', f.Methods)} /{prefix}/{f.Route} {f.Name}").Order(StringComparer.Ordinal), endpoints);
    }

    [Fact]
    public async Task EveryRoute_AnswersOverTheSocket()
    {
        await using var api = await ServedApi.StartAsync();
        var customers = await SeededShop.StoreAsync(api.Host, 700, seed: 16);
        await api.Host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: true, parallelism: 4, CancellationToken.None);
        const string key = ServedApi.FunctionKey;

        var health = await api.SendAsync(HttpMethod.Get, "health", null);
        var openApi = await api.SendAsync(HttpMethod.Get, "openapi.yaml", null);
        var transaction = await api.SendAsync(HttpMethod.Post, "transactions", key, Purchase);
        var retried = await api.SendAsync(HttpMethod.Post, "transactions", key, Purchase);
        var contacts = await api.SendAsync(HttpMethod.Post, "contacts", key, """[{"customerId":"C-42","email":"ada@example.com","country":"GB"},{"customerId":"C-43","country":"Germany"}]""");
        var view = await api.SendAsync(HttpMethod.Get, "customers/C-42", key);
        var missing = await api.SendAsync(HttpMethod.Get, "customers/nobody", key);
        var segments = await api.SendAsync(HttpMethod.Get, "segments", key);
        var slug = JsonDocument.Parse(segments.Text).RootElement.GetProperty("segments").EnumerateArray().MaxBy(s => s.GetProperty("customers").GetInt32()).GetProperty("segment").GetString();
        var page = await api.SendAsync(HttpMethod.Get, $"segments/{slug}/customers?pageSize=5", key);
        var csv = await api.SendAsync(HttpMethod.Get, $"segments/{slug}/customers?format=csv&code={key}", null);
        var unknownSegment = await api.SendAsync(HttpMethod.Get, "segments/nonsense/customers", key);
        var report = await api.SendAsync(HttpMethod.Get, "report", key);
        var export = await api.SendAsync(HttpMethod.Post, "privacy/export", ServedApi.AdminKey, """{"customerId":"C-42"}""");
        var erase = await api.SendAsync(HttpMethod.Post, "privacy/erase", ServedApi.AdminKey, """{"customerId":"C-42"}""");
        var eraseAgain = await api.SendAsync(HttpMethod.Post, "privacy/erase", ServedApi.AdminKey, """{"customerId":"C-42"}""");
        var badId = await api.SendAsync(HttpMethod.Post, "privacy/export", ServedApi.AdminKey, """{"customerId":"a|b"}""");
        var wrongMethod = await api.SendAsync(HttpMethod.Delete, "customers/C-42", key);

        Assert.Equal((200, """{"status":"ok"}"""), (health.Status, health.Text));
        Assert.Equal((200, File.ReadAllText(Path.Combine(azurite.RepositoryRoot, "openapi.yaml"))), (openApi.Status, openApi.Text));
        Assert.Equal((201, """{"status":"accepted","customerId":"C-42","id":"T-1001"}"""), (transaction.Status, transaction.Text));
        Assert.Equal(200, retried.Status);
        Assert.Contains("\"duplicate\"", retried.Text, StringComparison.Ordinal);
        Assert.Equal(200, contacts.Status);
        Assert.Contains("\"[1].country\"", contacts.Text, StringComparison.Ordinal);
        Assert.Equal(200, view.Status);
        Assert.Equal("ada@example.com", JsonDocument.Parse(view.Text).RootElement.GetProperty("contact").GetProperty("email").GetString());
        Assert.Equal(404, missing.Status);
        Assert.StartsWith("application/problem+json", missing.ContentType, StringComparison.Ordinal);
        Assert.Equal(200, segments.Status);
        Assert.Equal(customers, JsonDocument.Parse(segments.Text).RootElement.GetProperty("segments").EnumerateArray().Sum(s => s.GetProperty("customers").GetInt32()));
        Assert.Equal(200, page.Status);
        Assert.Equal(5, JsonDocument.Parse(page.Text).RootElement.GetProperty("customers").GetArrayLength());
        Assert.Equal(200, csv.Status);
        Assert.StartsWith("text/csv", csv.ContentType, StringComparison.Ordinal);
        Assert.True(csv.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length > 5);
        Assert.Equal(404, unknownSegment.Status);
        Assert.Equal(200, report.Status);
        Assert.StartsWith("text/html", report.ContentType, StringComparison.Ordinal);
        Assert.Equal(200, export.Status);
        Assert.Equal(1, JsonDocument.Parse(export.Text).RootElement.GetProperty("purchases").GetArrayLength());
        Assert.Equal(200, erase.Status);
        Assert.Equal(404, eraseAgain.Status);
        Assert.Equal(400, badId.Status);
        Assert.Contains("customerId", badId.Text, StringComparison.Ordinal);
        Assert.Equal(405, wrongMethod.Status);
    }

    [Fact]
    public async Task Keys_AreEnforcedPerAuthLevel()
    {
        await using var api = await ServedApi.StartAsync();

        foreach (var function in HttpFunctionCatalog.All)
        {
            var path = function.Route.Replace("{customerId}", "C-1", StringComparison.Ordinal).Replace("{name}", "champions", StringComparison.Ordinal);
            var method = new HttpMethod(function.Methods[0].ToUpperInvariant());
            var body = method == HttpMethod.Post ? "{}" : null;
            var none = await api.SendAsync(method, path, null, body);
            var wrong = await api.SendAsync(method, path, "not-the-key-at-all-0000", body);
            var functionKey = await api.SendAsync(method, path, ServedApi.FunctionKey, body);
            var adminKey = await api.SendAsync(method, path, ServedApi.AdminKey, body);
            var query = await api.SendAsync(method, path + "?code=" + ServedApi.AdminKey, null, body);

            switch (function.AuthLevel)
            {
                case AuthorizationLevel.Anonymous:
                    Assert.All(new[] { none, wrong, functionKey, adminKey }, r => Assert.Equal(200, r.Status));
                    break;
                case AuthorizationLevel.Function:
                    Assert.Equal(401, none.Status);
                    Assert.Equal(401, wrong.Status);
                    Assert.StartsWith("application/problem+json", none.ContentType, StringComparison.Ordinal);
                    Assert.All(new[] { functionKey, adminKey, query }, r => Assert.NotEqual(401, r.Status));
                    break;
                default:
                    Assert.Equal(401, none.Status);
                    Assert.Equal(401, wrong.Status);
                    Assert.True(functionKey.Status == 401, $"{function.Name} accepted the function key: {functionKey.Status}");
                    Assert.Contains("admin key", functionKey.Text, StringComparison.Ordinal);
                    Assert.All(new[] { adminKey, query }, r => Assert.NotEqual(401, r.Status));
                    break;
            }
        }
    }

    [Fact]
    public async Task OversizeBody_Is413_DeclaredOrChunked()
    {
        await using var api = await ServedApi.StartAsync(new Dictionary<string, string?> { ["Ingest:MaxBodyBytes"] = "65536" });
        var body = "[" + string.Join(',', Enumerable.Repeat(Purchase, 65536 / Purchase.Length + 1)) + "]";

        var declared = await api.SendAsync(HttpMethod.Post, "transactions", ServedApi.FunctionKey, body);
        var request = ServedApi.Request(HttpMethod.Post, "contacts", ServedApi.FunctionKey);
        request.Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body)));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;
        using var chunked = await api.Client.SendAsync(request);

        Assert.Equal(413, declared.Status);
        Assert.StartsWith("application/problem+json", declared.ContentType, StringComparison.Ordinal);
        Assert.Equal(413, (int)chunked.StatusCode);
        Assert.Empty(await StorageRecount.AllRowsAsync(api.Host.Get<Core.Storage.CrmTables>().Customers));
    }

    [Fact]
    public async Task KeysMode_RequestCarryingAPrincipalHeader_IsRefusedAsForged()
    {
        await using var api = await ServedApi.StartAsync();
        var request = ServedApi.Request(HttpMethod.Post, "transactions", ServedApi.FunctionKey, Purchase);
        request.Headers.Add(ClientPrincipal.Header, ClientPrincipal.Encode(AppRoles.Ingest, AppRoles.Read, AppRoles.Privacy));

        using var forged = await api.Client.SendAsync(request);
        var plain = await api.SendAsync(HttpMethod.Post, "transactions", ServedApi.FunctionKey, Purchase);

        Assert.Equal(401, (int)forged.StatusCode);
        Assert.Contains(ClientPrincipal.Header, await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(201, plain.Status);
    }

    [Fact]
    public async Task EntraMode_EachFunctionNeedsItsAppRole()
    {
        await using var api = await ServedApi.StartAsync(new Dictionary<string, string?> { ["Auth:Mode"] = "Entra" });

        async Task<(int Status, string Text)> SendAsync(HttpMethod method, string path, string key, string? json, params string[]? roles)
        {
            var request = ServedApi.Request(method, path, key, json);
            if (roles is not null)
            {
                request.Headers.Add(ClientPrincipal.Header, ClientPrincipal.Encode(roles));
            }

            using var response = await api.Client.SendAsync(request);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var anonymous = await SendAsync(HttpMethod.Post, "transactions", ServedApi.FunctionKey, Purchase, null);
        var unreadable = ServedApi.Request(HttpMethod.Get, "segments", ServedApi.FunctionKey);
        unreadable.Headers.Add(ClientPrincipal.Header, "not a principal");
        using var garbage = await api.Client.SendAsync(unreadable);
        var readerWrites = await SendAsync(HttpMethod.Post, "transactions", ServedApi.FunctionKey, Purchase, AppRoles.Read);
        var ingestWrites = await SendAsync(HttpMethod.Post, "transactions", ServedApi.FunctionKey, Purchase, AppRoles.Ingest);
        var ingestReads = await SendAsync(HttpMethod.Get, "customers/C-42", ServedApi.FunctionKey, null, AppRoles.Ingest);
        var readerReads = await SendAsync(HttpMethod.Get, "customers/C-42", ServedApi.FunctionKey, null, AppRoles.Read);
        var readerErases = await SendAsync(HttpMethod.Post, "privacy/erase", ServedApi.AdminKey, """{"customerId":"C-42"}""", AppRoles.Read, AppRoles.Ingest);
        var privacyExports = await SendAsync(HttpMethod.Post, "privacy/export", ServedApi.AdminKey, """{"customerId":"C-42"}""", AppRoles.Privacy);
        var privacyWithFunctionKey = await SendAsync(HttpMethod.Post, "privacy/erase", ServedApi.FunctionKey, """{"customerId":"C-42"}""", AppRoles.Privacy);
        var health = await SendAsync(HttpMethod.Get, "health", "", null, null);

        Assert.Equal(401, anonymous.Status);
        Assert.Equal(401, (int)garbage.StatusCode);
        Assert.Equal(403, readerWrites.Status);
        Assert.Contains(AppRoles.Ingest, readerWrites.Text, StringComparison.Ordinal);
        Assert.Equal("https://www.rfc-editor.org/rfc/rfc9110#section-15.5.4", JsonDocument.Parse(readerWrites.Text).RootElement.GetProperty("type").GetString());
        Assert.Equal(201, ingestWrites.Status);
        Assert.Equal(403, ingestReads.Status);
        Assert.Equal(200, readerReads.Status);
        Assert.Equal(403, readerErases.Status);
        Assert.Contains(AppRoles.Privacy, readerErases.Text, StringComparison.Ordinal);
        Assert.Equal(200, privacyExports.Status);

        // The role adds to the key, it does not replace it: the admin routes still need the admin (master) key.
        Assert.Equal(401, privacyWithFunctionKey.Status);
        Assert.Equal(200, health.Status);
    }

    [Theory]
    [InlineData("not base64 at all")]
    [InlineData("eyJ9")]
    [InlineData("bnVsbA==")]
    public void ClientPrincipal_Garbage_IsNoPrincipal(string header)
        => Assert.Null(ClientPrincipal.Parse(header));

    [Fact]
    public void ClientPrincipal_ReadsTheRolesClaimsAsThePlatformSendsThem()
    {
        // As App Service Authentication sends it for an Entra ID caller with two app roles.
        var json = """{"auth_typ":"aad","claims":[{"typ":"aud","val":"api://crm"},{"typ":"roles","val":"Crm.Read"},{"typ":"roles","val":"Crm.Ingest"},{"typ":"name","val":"Ada"}],"name_typ":"name","role_typ":"roles"}""";

        var principal = ClientPrincipal.Parse(Convert.ToBase64String(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(["Crm.Ingest", "Crm.Read"], principal!.Roles.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task EraseAndExport_LeaveNoCustomerIdInLogsOrActivities()
    {
        const string subject = "telemetry-subject-4711";
        var capture = new LogCapture();
        var activities = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (activities)
                {
                    activities.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var api = await ServedApi.StartAsync(configure: builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(capture);
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
        });
        Assert.Equal(201, (await api.SendAsync(HttpMethod.Post, "transactions", ServedApi.FunctionKey, Purchase.Replace("C-42", subject, StringComparison.Ordinal))).Status);

        // The 360 view and the recommendations carry the id in their own route, but their storage reads must not.
        Assert.Equal(200, (await api.SendAsync(HttpMethod.Get, "customers/" + subject, ServedApi.FunctionKey)).Status);
        Assert.Equal(200, (await api.SendAsync(HttpMethod.Get, $"customers/{subject}/recommendations", ServedApi.FunctionKey)).Status);
        int spansBefore;
        lock (activities)
        {
            spansBefore = activities.Count;
        }

        var before = capture.Lines.Count;

        var export = await api.SendAsync(HttpMethod.Post, "privacy/export", ServedApi.AdminKey, $$"""{"customerId":"{{subject}}"}""");
        var erase = await api.SendAsync(HttpMethod.Post, "privacy/erase", ServedApi.AdminKey, $$"""{"customerId":"{{subject}}"}""");

        Assert.Equal(200, export.Status);
        Assert.Equal(200, erase.Status);
        var lines = capture.Lines.Skip(before).ToList();
        List<string> spans;
        List<string> storageSpans;
        lock (activities)
        {
            static string Describe(Activity a) => $"{a.Source.Name} {a.DisplayName} {a.OperationName} {string.Join(";", a.TagObjects.Select(t => $"{t.Key}={t.Value}"))} {string.Join(";", a.Baggage.Select(b => $"{b.Key}={b.Value}"))}";
            spans = [.. activities.Skip(spansBefore).Select(Describe)];
            storageSpans = [.. activities.Where(a => a.Source.Name.StartsWith("Azure.", StringComparison.Ordinal)).Select(Describe)];
        }

        Assert.Contains(storageSpans, span => span.StartsWith("Azure.Data.Tables", StringComparison.Ordinal));
        Assert.DoesNotContain(storageSpans, span => span.Contains(subject, StringComparison.Ordinal));

        // The request lines and spans are there (so the check looks where URLs are recorded) and name the route...
        Assert.Contains(lines, line => line.Contains("/api/privacy/erase", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("Erased a customer", StringComparison.Ordinal));
        Assert.Contains(spans, span => span.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));

        // ...but never the customer.
        Assert.DoesNotContain(lines, line => line.Contains(subject, StringComparison.Ordinal));
        Assert.DoesNotContain(spans, span => span.Contains(subject, StringComparison.Ordinal));
    }
}
