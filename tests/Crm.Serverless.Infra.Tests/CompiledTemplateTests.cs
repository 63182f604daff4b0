using System.Text.Json;
using System.Text.RegularExpressions;

namespace Crm.Serverless.Infra.Tests;

public partial class CompiledTemplateTests
{
    private const string StorageAccounts = "Microsoft.Storage/storageAccounts";
    private const string RoleAssignments = "Microsoft.Authorization/roleAssignments";

    private static ArmTemplate Template => CompiledInfra.Template;

    private static ArmResource FunctionApp => Template.SingleOfType("Microsoft.Web/sites");

    private static ArmResource AppSettings =>
        Template.OfType("Microsoft.Web/sites/config").Single(r => r.Name.Contains("'appsettings'", StringComparison.Ordinal));

    public static TheoryData<string> AppSettingNames() =>
    [
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "AzureWebJobsStorage__blobServiceUri",
        "AzureWebJobsStorage__queueServiceUri",
        "AzureWebJobsStorage__tableServiceUri",
        "CrmStorage__credential",
        "CrmStorage__clientId",
        "CrmStorage__tableServiceUri",
        "CrmStorage__queueServiceUri",
        "CrmStorage__blobServiceUri",
        "Ingest__QueueName",
        "Nightly__Schedule",
        "Auth__Mode",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    ];

    public static TheoryData<string, string, string> IdentityRoles() => new()
    {
        { "Storage Blob Data Owner", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", StorageAccounts },
        { "Storage Queue Data Contributor", "974c5e8b-45b9-4653-ba55-5f855dd0fb88", StorageAccounts },
        { "Storage Table Data Contributor", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", StorageAccounts },
        { "Monitoring Metrics Publisher", "3913510d-42f4-4e42-8a64-420c390055eb", "Microsoft.Insights/components" },
    };

    public static TheoryData<string> AzdOutputs() =>
    [
        "AZURE_LOCATION",
        "AZURE_TENANT_ID",
        "AZURE_RESOURCE_GROUP",
        "SERVICE_API_NAME",
        "SERVICE_API_URI",
        "AZURE_FUNCTION_APP_NAME",
        "AZURE_STORAGE_ACCOUNT_NAME",
    ];

    [Fact]
    public void Main_targets_the_subscription_and_creates_the_resource_group()
    {
        var schema = Template.Root.Template.GetProperty("$schema").GetString();

        Assert.Contains("subscriptionDeploymentTemplate", schema, StringComparison.Ordinal);
        var rg = Template.SingleOfType("Microsoft.Resources/resourceGroups");
        Assert.Same(Template.Root, rg.Scope);
        var modules = Template.OfType("Microsoft.Resources/deployments").Select(d => d.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "identity", "storage", "monitoring", "rbac", "api" }, modules);
    }

    [Fact]
    public void Plan_is_Flex_Consumption_FC1_on_Linux()
    {
        var plan = Template.SingleOfType("Microsoft.Web/serverfarms");

        Assert.Equal("FC1", plan.GetString("sku.name"));
        Assert.Equal("FlexConsumption", plan.GetString("sku.tier"));
        Assert.Equal(JsonValueKind.True, plan.Get("properties.reserved")?.ValueKind);
    }

    [Fact]
    public void Function_app_is_dotnet_isolated_10_on_the_flex_plan()
    {
        var app = FunctionApp;

        Assert.Equal("functionapp,linux", app.GetString("kind"));
        Assert.Equal("dotnet-isolated", app.GetString("properties.functionAppConfig.runtime.name"));
        Assert.Equal("10.0", app.GetString("properties.functionAppConfig.runtime.version"));
        Assert.Equal(2048, app.Get("properties.functionAppConfig.scaleAndConcurrency.instanceMemoryMB")?.GetInt32());
        var maxInstances = app.Get("properties.functionAppConfig.scaleAndConcurrency.maximumInstanceCount")?.GetInt32();
        Assert.InRange(maxInstances ?? 0, 1, 1000);
        Assert.Contains("Microsoft.Web/serverfarms", app.GetString("properties.serverFarmId"), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.True, app.Get("properties.httpsOnly")?.ValueKind);
    }

    [Fact]
    public void Function_app_runs_as_the_user_assigned_identity()
    {
        var identity = Template.SingleOfType("Microsoft.ManagedIdentity/userAssignedIdentities");
        var app = FunctionApp;

        Assert.Equal("identity", identity.Scope.Name);
        Assert.Equal("UserAssigned", app.GetString("identity.type"));
        var assigned = app.Get("identity.userAssignedIdentities");
        Assert.Equal(1, assigned?.EnumerateObject().Count());
        // main.bicep passes the identity module's resource id and client id to the api module.
        var passed = ModuleParameter("api", "identityResourceId");
        Assert.Contains("'identity'", passed, StringComparison.Ordinal);
        Assert.Contains("resourceId", passed, StringComparison.Ordinal);
        Assert.Contains("clientId", ModuleParameter("api", "identityClientId"), StringComparison.Ordinal);
    }

    [Fact]
    public void Deployment_package_lives_in_a_private_blob_container_reached_with_the_identity()
    {
        var app = FunctionApp;

        Assert.Equal("blobContainer", app.GetString("properties.functionAppConfig.deployment.storage.type"));
        Assert.Equal("UserAssignedIdentity", app.GetString("properties.functionAppConfig.deployment.storage.authentication.type"));
        var identity = app.GetString("properties.functionAppConfig.deployment.storage.authentication.userAssignedIdentityResourceId");
        Assert.Contains("'identity'", identity, StringComparison.Ordinal);
        Assert.EndsWith(".outputs.resourceId.value]", identity, StringComparison.Ordinal);
        var url = app.GetString("properties.functionAppConfig.deployment.storage.value");
        Assert.Contains("primaryEndpoints.blob", url, StringComparison.Ordinal);
        Assert.Contains("deploymentContainerName", url, StringComparison.Ordinal);

        var container = Template.SingleOfType("Microsoft.Storage/storageAccounts/blobServices/containers");
        Assert.Equal("None", container.GetString("properties.publicAccess"));
    }

    [Fact]
    public void Storage_account_is_keyless_https_only_tls12_and_private_to_anonymous_readers()
    {
        var storage = Template.SingleOfType(StorageAccounts);

        Assert.Equal(JsonValueKind.False, storage.Get("properties.allowSharedKeyAccess")?.ValueKind);
        Assert.Equal(JsonValueKind.True, storage.Get("properties.supportsHttpsTrafficOnly")?.ValueKind);
        Assert.Equal("TLS1_2", storage.GetString("properties.minimumTlsVersion"));
        Assert.Equal(JsonValueKind.False, storage.Get("properties.allowBlobPublicAccess")?.ValueKind);
        Assert.Equal(JsonValueKind.True, storage.Get("properties.defaultToOAuthAuthentication")?.ValueKind);
    }

    [Fact]
    public void Ingest_queue_is_created_with_the_name_the_app_reads()
    {
        var queue = Template.SingleOfType("Microsoft.Storage/storageAccounts/queueServices/queues");

        Assert.Contains("ingestQueueName", queue.Name, StringComparison.Ordinal);
        Assert.Equal("crm-ingest", Template.Root.Resolve(JsonDocument.Parse("\"[variables('ingestQueueName')]\"").RootElement).GetString());
    }

    [Theory]
    [MemberData(nameof(IdentityRoles))]
    public void Identity_holds_role(string roleName, string roleDefinitionGuid, string scopeType)
    {
        var matches = Template.OfType(RoleAssignments)
            .Where(r => !r.IsConditional)
            .Where(r => RoleGuid(r) == roleDefinitionGuid)
            .ToList();

        Assert.True(matches.Count == 1, $"Expected one unconditional {roleName} ({roleDefinitionGuid}) assignment, found {matches.Count}.");
        var assignment = matches[0];
        Assert.Equal("rbac", assignment.Scope.Name);
        Assert.Equal("ServicePrincipal", assignment.GetString("properties.principalType"));
        var principal = assignment.GetString("properties.principalId");
        Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", principal, StringComparison.Ordinal);
        Assert.EndsWith(".principalId]", principal, StringComparison.Ordinal);
        Assert.Contains(scopeType, assignment.GetString("scope"), StringComparison.Ordinal);
    }

    [Fact]
    public void Developer_roles_are_only_granted_when_a_principal_id_is_supplied()
    {
        var conditional = Template.OfType(RoleAssignments).Where(r => r.IsConditional).ToList();

        Assert.All(conditional, r => Assert.Equal("[parameters('developerPrincipalId')]", r.GetString("properties.principalId", resolve: false)));
        Assert.All(conditional, r => Assert.Equal("[variables('addDeveloper')]", r.Element.GetProperty("condition").GetString()));
        Assert.Equal("[not(empty(parameters('developerPrincipalId')))]", conditional[0].Scope.Template.GetProperty("variables").GetProperty("addDeveloper").GetString());
        Assert.All(conditional, r => Assert.Contains(StorageAccounts, r.GetString("scope"), StringComparison.Ordinal));
        Assert.Equal(3, conditional.Count);
    }

    [Theory]
    [MemberData(nameof(AppSettingNames))]
    public void App_setting_is_set(string name)
    {
        var properties = AppSettings.Properties;

        Assert.True(properties.TryGetProperty(name, out var value), $"App setting {name} is missing; present: {string.Join(", ", properties.EnumerateObject().Select(p => p.Name))}");
        Assert.False(string.IsNullOrWhiteSpace(AppSettings.Scope.Resolve(value).GetString()), $"App setting {name} is empty.");
    }

    [Fact]
    public void App_settings_use_the_managed_identity_and_the_expected_values()
    {
        var settings = AppSettings;

        Assert.Equal("managedidentity", settings.GetString("properties.AzureWebJobsStorage__credential"));
        Assert.Equal("managedidentity", settings.GetString("properties.CrmStorage__credential"));
        foreach (var setting in new[] { "AzureWebJobsStorage__clientId", "CrmStorage__clientId" })
        {
            Assert.Equal("[parameters('identityClientId')]", settings.GetString($"properties.{setting}", resolve: false));
            // ...which main.bicep fills from the identity module's clientId output.
            var resolved = settings.GetString($"properties.{setting}");
            Assert.Contains("'identity'", resolved, StringComparison.Ordinal);
            Assert.EndsWith(".outputs.clientId.value]", resolved, StringComparison.Ordinal);
        }

        foreach (var (setting, endpoint) in new[]
                 {
                     ("AzureWebJobsStorage__blobServiceUri", "blob"), ("AzureWebJobsStorage__queueServiceUri", "queue"), ("AzureWebJobsStorage__tableServiceUri", "table"),
                     ("CrmStorage__blobServiceUri", "blob"), ("CrmStorage__queueServiceUri", "queue"), ("CrmStorage__tableServiceUri", "table"),
                 })
        {
            Assert.EndsWith($"primaryEndpoints.{endpoint}]", settings.GetString($"properties.{setting}"), StringComparison.Ordinal);
        }

        Assert.Equal("crm-ingest", settings.GetString("properties.Ingest__QueueName"));
        Assert.Equal("0 0 2 * * *", settings.GetString("properties.Nightly__Schedule"));
        Assert.Contains("ConnectionString", settings.GetString("properties.APPLICATIONINSIGHTS_CONNECTION_STRING"), StringComparison.Ordinal);
        Assert.Equal(
            "[format('ClientId={0};Authorization=AAD', parameters('identityClientId'))]",
            settings.GetString("properties.APPLICATIONINSIGHTS_AUTHENTICATION_STRING"));
    }

    [Fact]
    public void Reporting_currency_is_a_main_parameter_passed_to_the_app_setting_and_empty_by_default()
    {
        var parameter = Template.Document.RootElement.GetProperty("parameters").GetProperty("reportingCurrency");

        Assert.Equal("", parameter.GetProperty("defaultValue").GetString());
        Assert.Equal(3, parameter.GetProperty("maxLength").GetInt32());
        Assert.Equal("[parameters('reportingCurrency')]", AppSettings.GetString("properties.Ingest__ReportingCurrency", resolve: false));

        // main.bicep hands its parameter to the api module, so `reportingCurrency` set at deployment reaches the app.
        var api = Template.OfType("Microsoft.Resources/deployments").Single(r => r.Element.GetRawText().Contains("\"reportingCurrency\"", StringComparison.Ordinal) && r.Element.GetRawText().Contains("\"deploymentContainerName\"", StringComparison.Ordinal));
        Assert.Equal("[parameters('reportingCurrency')]", api.GetString("properties.parameters.reportingCurrency.value", resolve: false));
        Assert.Equal("", AppSettings.GetString("properties.Ingest__ReportingCurrency"));
    }

    [Fact]
    public void Flex_Consumption_app_settings_it_rejects_are_absent()
    {
        var names = AppSettings.Properties.EnumerateObject().Select(p => p.Name).ToList();

        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", names);
        Assert.DoesNotContain("FUNCTIONS_EXTENSION_VERSION", names);
        Assert.DoesNotContain("WEBSITE_RUN_FROM_PACKAGE", names);
        Assert.DoesNotContain("AzureWebJobsStorage", names);
    }

    [Fact]
    public void Nothing_in_the_template_reads_or_uses_storage_keys()
    {
        var json = Template.Document.RootElement.GetRawText();

        Assert.DoesNotContain("listKeys", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("AccountKey", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("SharedAccessSignature", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("InstrumentationKey", json, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Function_app_carries_the_azd_service_tag_api()
    {
        Assert.Contains("createObject('azd-service-name', parameters('serviceName'))", FunctionApp.GetString("tags"), StringComparison.Ordinal);
        Assert.Equal("api", ModuleParameterValue("api", "serviceName"));
    }

    [Fact]
    public void Application_Insights_is_workspace_based_with_local_auth_disabled()
    {
        var insights = Template.SingleOfType("Microsoft.Insights/components");
        Template.SingleOfType("Microsoft.OperationalInsights/workspaces");

        Assert.Equal(JsonValueKind.True, insights.Get("properties.DisableLocalAuth")?.ValueKind);
        Assert.Contains("Microsoft.OperationalInsights/workspaces", insights.GetString("properties.WorkspaceResourceId"), StringComparison.Ordinal);
    }

    [Fact]
    public void Basic_auth_publishing_is_disabled()
    {
        var policies = Template.OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();

        Assert.Equal(2, policies.Count);
        Assert.All(policies, p => Assert.Equal(JsonValueKind.False, p.Get("properties.allow")?.ValueKind));
    }

    [Theory]
    [MemberData(nameof(AzdOutputs))]
    public void Main_outputs_what_azd_needs(string output)
    {
        var outputs = Template.Root.Template.GetProperty("outputs");

        Assert.True(outputs.TryGetProperty(output, out var declaration), $"Output {output} missing.");
        Assert.Equal("string", declaration.GetProperty("type").GetString());
    }

    [Fact]
    public void Main_parameters_map_the_azd_environment()
    {
        using var file = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Infra, "main.parameters.json")));
        var parameters = file.RootElement.GetProperty("parameters");
        var declared = Template.Root.Template.GetProperty("parameters");

        Assert.Equal("${AZURE_ENV_NAME}", parameters.GetProperty("environmentName").GetProperty("value").GetString());
        Assert.Equal("${AZURE_LOCATION}", parameters.GetProperty("location").GetProperty("value").GetString());
        foreach (var parameter in parameters.EnumerateObject())
        {
            Assert.True(declared.TryGetProperty(parameter.Name, out _), $"main.parameters.json sets {parameter.Name}, which main.bicep does not declare.");
        }
    }

    internal static string ModuleParameter(string module, string parameter) =>
        Template.OfType("Microsoft.Resources/deployments").Single(d => d.Name == module)
            .Properties.GetProperty("parameters").GetProperty(parameter).GetProperty("value").GetRawText();

    internal static string? ModuleParameterValue(string module, string parameter)
    {
        var deployment = Template.OfType("Microsoft.Resources/deployments").Single(d => d.Name == module);
        var raw = deployment.Properties.GetProperty("parameters").GetProperty(parameter).GetProperty("value");
        var resolved = deployment.Scope.Resolve(raw);
        return resolved.ValueKind == JsonValueKind.String ? resolved.GetString() : resolved.GetRawText();
    }

    private static string? RoleGuid(ArmResource assignment)
    {
        var expression = assignment.Scope.InlineStringVariables(assignment.GetString("properties.roleDefinitionId") ?? string.Empty);
        var match = GuidPattern().Match(expression);
        return match.Success ? match.Value : null;
    }

    [GeneratedRegex(@"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", RegexOptions.IgnoreCase)]
    private static partial Regex GuidPattern();
}
