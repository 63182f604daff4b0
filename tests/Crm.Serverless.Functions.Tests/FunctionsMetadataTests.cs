using System.Reflection;
using System.Text.Json;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Local;

namespace Crm.Serverless.Functions.Tests;

/// <summary>
/// Core Tools cannot run here, so the contract with the Functions host is checked where it is written down:
/// the functions.metadata the worker SDK generates at build time.
/// </summary>
public class FunctionsMetadataTests
{
    private static readonly Lazy<Dictionary<string, JsonElement>> Functions = new(Load);

    private static Dictionary<string, JsonElement> Load()
    {
        var root = AzuriteLauncher.FindRepositoryRoot(AppContext.BaseDirectory)!;
        var configuration = typeof(FunctionsMetadataTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var path = Path.Combine(root, "functions", "Crm.Serverless.Functions", "bin", configuration, "net10.0", "functions.metadata");
        Assert.True(File.Exists(path), $"functions.metadata not found at {path}");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.Clone());
    }

    private static JsonElement Trigger(string function)
        => Functions.Value[function].GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));

    [Theory]
    [InlineData("PostTransactions", "transactions", "post", "Function")]
    [InlineData("PostContacts", "contacts", "post", "Function")]
    [InlineData("GetCustomer", "customers/{customerId}", "get", "Function")]
    [InlineData("GetCustomerRecommendations", "customers/{customerId}/recommendations", "get", "Function")]
    [InlineData("EraseCustomer", "privacy/erase", "post", "Admin")]
    [InlineData("ExportCustomer", "privacy/export", "post", "Admin")]
    [InlineData("Health", "health", "get", "Anonymous")]
    [InlineData("GetOpenApi", "openapi.yaml", "get", "Anonymous")]
    [InlineData("GetSegments", "segments", "get", "Function")]
    [InlineData("GetSegmentCustomers", "segments/{name}/customers", "get", "Function")]
    [InlineData("GetReport", "report", "get", "Function")]
    [InlineData("PostCampaign", "campaigns", "post", "Function")]
    [InlineData("GetCampaigns", "campaigns", "get", "Function")]
    [InlineData("GetCampaignReport", "campaigns/{name}/report", "get", "Function")]
    public void HttpFunction_HasRouteMethodAndAuthLevel(string function, string route, string method, string authLevel)
    {
        var trigger = Trigger(function);

        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal([method], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(authLevel, trigger.GetProperty("authLevel").GetString());
    }

    [Fact]
    public void IngestQueue_IsQueueTriggerOnTheConfiguredQueue()
    {
        var trigger = Trigger("IngestQueue");

        Assert.Equal("queueTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("%Ingest:QueueName%", trigger.GetProperty("queueName").GetString());
        Assert.Equal("CrmStorage", trigger.GetProperty("connection").GetString());
        Assert.Equal("crm-ingest", new IngestOptions().QueueName);
    }

    [Fact]
    public void NightlyRun_IsAnOrchestration_AndEachStageAnActivity()
    {
        Assert.Equal("orchestrationTrigger", Trigger(Orchestration.NightOrchestration.Name).GetProperty("type").GetString());
        foreach (var activity in new[]
        {
            Orchestration.NightActivities.Plan, Orchestration.NightActivities.SummariseShard, Orchestration.NightActivities.FitModels,
            Orchestration.NightActivities.ScoreShard, Orchestration.NightActivities.WriteRunArtefacts, Orchestration.NightActivities.CompleteRun,
            Orchestration.NightActivities.MarkStalled,
        })
        {
            Assert.Equal("activityTrigger", Trigger(activity).GetProperty("type").GetString());
        }

        // The timer starts the orchestration through a Durable client binding, and the only queue listened to is ingest's.
        Assert.Contains(Functions.Value["NightlyRetrain"].GetProperty("bindings").EnumerateArray(), b => b.GetProperty("type").GetString() == "durableClient");
        Assert.Equal(["%Ingest:QueueName%"], Functions.Value.Keys.Where(name => Trigger(name).TryGetProperty("queueName", out _)).Select(name => Trigger(name).GetProperty("queueName").GetString()));
    }

    [Fact]
    public void NightlyRetrain_IsTimerOnTheConfiguredSchedule()
    {
        var trigger = Trigger("NightlyRetrain");

        Assert.Equal("timerTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("%Nightly:Schedule%", trigger.GetProperty("schedule").GetString());
        Assert.Equal("0 0 2 * * *", new Core.Scoring.NightlyOptions().Schedule);
    }

    [Fact]
    public void Metadata_ListsExactlyTheKnownFunctions()
        => Assert.Equal(
            ["EraseCustomer", "ExportCustomer", "GetCampaignReport", "GetCampaigns", "GetCustomer", "GetCustomerRecommendations", "GetOpenApi", "GetProducts", "GetReport", "GetSegmentCustomers", "GetSegments", "Health", "IngestQueue", "NightCompleteRun", "NightFitModels", "NightMarkStalled", "NightPlan", "NightScoreShard", "NightSummariseShard", "NightWriteRunArtefacts", "NightlyRetrain", "NightlyRun", "PostCampaign", "PostContacts", "PostInteractions", "PostTransactions"],
            Functions.Value.Keys.Order(StringComparer.Ordinal));

    [Fact]
    public void EveryFunctionButHealth_RequiresAKey()
    {
        var http = Functions.Value.Keys.Where(name => Trigger(name).GetProperty("type").GetString() == "httpTrigger").ToList();

        // Every door that reads or writes customer data needs at least a function key; only the health probe and the
        // API description are open.
        Assert.Equal(["GetOpenApi", "Health"], http.Order(StringComparer.Ordinal).Where(name => Trigger(name).GetProperty("authLevel").GetString() == "Anonymous"));
        Assert.All(
            http.Where(name => name is not "Health" and not "GetOpenApi"),
            name => Assert.Contains(Trigger(name).GetProperty("authLevel").GetString(), new[] { "Function", "Admin" }));
        Assert.Superset(new HashSet<string> { "PostTransactions", "PostContacts", "GetCustomer", "EraseCustomer", "ExportCustomer" }, http.ToHashSet());
    }

    [Fact]
    public void EveryRouteAndMethod_BelongsToOneFunction_AndThePrivacyDoorsCarryNoIdInTheUrl()
    {
        var http = Functions.Value.Keys.Where(name => Trigger(name).GetProperty("type").GetString() == "httpTrigger").ToList();
        var pairs = http
            .SelectMany(name => Trigger(name).GetProperty("methods").EnumerateArray().Select(m => (Route: Trigger(name).GetProperty("route").GetString(), Method: m.GetString())))
            .ToList();

        Assert.Equal(pairs.Count, pairs.Distinct().Count());

        // Request URLs go to the host's logs and Application Insights; erasure and export take the id in the body
        // and need the admin level (the master key), not a key handed to shop systems or marketing tools.
        foreach (var name in new[] { "EraseCustomer", "ExportCustomer" })
        {
            Assert.DoesNotContain("{", Trigger(name).GetProperty("route").GetString(), StringComparison.Ordinal);
            Assert.Equal("Admin", Trigger(name).GetProperty("authLevel").GetString());
        }
    }

    [Fact]
    public void HttpFunctionCatalog_EqualsTheGeneratedMetadata()
    {
        // crm serve maps the catalog and the role check reads it: it must say what the worker SDK generated.
        var inMetadata = Functions.Value
            .Where(f => Trigger(f.Key).GetProperty("type").GetString() == "httpTrigger")
            .Select(f => Describe(f.Key, Trigger(f.Key).GetProperty("authLevel").GetString()!, Trigger(f.Key).GetProperty("methods").EnumerateArray().Select(m => m.GetString()!), Trigger(f.Key).GetProperty("route").GetString()!))
            .Order(StringComparer.Ordinal);
        var inCatalog = Http.HttpFunctionCatalog.All
            .Select(f => Describe(f.Name, f.AuthLevel.ToString(), f.Methods, f.Route))
            .Order(StringComparer.Ordinal);

        Assert.Equal(inMetadata, inCatalog);
    }

    [Theory]
    [InlineData("PostTransactions", "Crm.Ingest")]
    [InlineData("PostContacts", "Crm.Ingest")]
    [InlineData("GetCustomer", "Crm.Read")]
    [InlineData("GetCustomerRecommendations", "Crm.Read")]
    [InlineData("GetSegments", "Crm.Read")]
    [InlineData("GetSegmentCustomers", "Crm.Read")]
    [InlineData("GetReport", "Crm.Read")]
    [InlineData("GetCampaigns", "Crm.Read")]
    [InlineData("GetCampaignReport", "Crm.Read")]
    [InlineData("PostCampaign", "Crm.Ingest")]
    [InlineData("EraseCustomer", "Crm.Privacy")]
    [InlineData("ExportCustomer", "Crm.Privacy")]
    [InlineData("Health", null)]
    [InlineData("GetOpenApi", null)]
    public void EachHttpFunction_NeedsItsAppRole(string function, string? role)
        => Assert.Equal(role, Http.HttpFunctionCatalog.Find(function)!.Role);

    private static string Describe(string name, string authLevel, IEnumerable<string> methods, string route)
        => $"{name} {authLevel} {string.Join(',', methods.Select(m => m.ToLowerInvariant()).Order(StringComparer.Ordinal))} {route}";

    [Fact]
    public void HostJson_BoundsQueueRetriesBeforePoison()
    {
        var root = AzuriteLauncher.FindRepositoryRoot(AppContext.BaseDirectory)!;
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "host.json")));

        var queues = host.RootElement.GetProperty("extensions").GetProperty("queues");
        Assert.InRange(queues.GetProperty("maxDequeueCount").GetInt32(), 2, 10);
        Assert.Equal("none", queues.GetProperty("messageEncoding").GetString());
        Assert.Equal("api", host.RootElement.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }

    [Fact]
    public void HostJson_KeepsTheNightlyTaskHubInTheHostStorageAccount()
    {
        var root = AzuriteLauncher.FindRepositoryRoot(AppContext.BaseDirectory)!;
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "host.json")));

        var durable = host.RootElement.GetProperty("extensions").GetProperty("durableTask");
        Assert.Equal("CrmNightly", durable.GetProperty("hubName").GetString());
        var provider = durable.GetProperty("storageProvider");
        Assert.Equal("AzureStorage", provider.GetProperty("type").GetString());
        // AzureWebJobsStorage__* in Azure: the app identity's blob, queue and table endpoints (infra/app/api.bicep).
        Assert.Equal("AzureWebJobsStorage", provider.GetProperty("connectionName").GetString());
    }
}
