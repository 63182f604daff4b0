using System.Text.Json;

namespace Crm.Serverless.Infra.Tests;

/// <summary>Issue 16: App Service Authentication with Entra ID, off by default, on with the app registration's client id.</summary>
public class AuthSettingsTests
{
    private static ArmTemplate Template => CompiledInfra.Template;

    private static ArmResource AuthSettings =>
        Template.OfType("Microsoft.Web/sites/config").Single(r => r.Name.Contains("'authsettingsV2'", StringComparison.Ordinal));

    private static ArmResource AppSettings =>
        Template.OfType("Microsoft.Web/sites/config").Single(r => r.Name.Contains("'appsettings'", StringComparison.Ordinal));

    [Fact]
    public void EntraClientId_IsAnOptionalParameterPassedToTheApp_EmptyByDefault()
    {
        var parameter = Template.Root.Template.GetProperty("parameters").GetProperty("entraClientId");

        Assert.Equal("", parameter.GetProperty("defaultValue").GetString());
        Assert.Equal("", AuthSettings.Scope.Resolve(JsonDocument.Parse("\"[parameters('entraClientId')]\"").RootElement).GetString());
    }

    [Fact]
    public void AuthSettings_ExistOnlyWithAClientId_AndRequireAnEntraSignInExceptForHealthAndTheApiDescription()
    {
        var auth = AuthSettings;

        Assert.True(auth.IsConditional);
        Assert.Equal("[variables('entraEnabled')]", auth.Element.GetProperty("condition").GetString());
        Assert.Equal("[not(empty(parameters('entraClientId')))]", auth.Scope.Template.GetProperty("variables").GetProperty("entraEnabled").GetString());
        Assert.Equal("true", auth.GetString("properties.platform.enabled"));
        Assert.Equal("true", auth.GetString("properties.globalValidation.requireAuthentication"));
        Assert.Equal("Return401", auth.GetString("properties.globalValidation.unauthenticatedClientAction"));
        Assert.Equal(["/api/health", "/api/openapi.yaml"], auth.Get("properties.globalValidation.excludedPaths")!.Value.EnumerateArray().Select(p => p.GetString()));
        Assert.Equal("true", auth.GetString("properties.identityProviders.azureActiveDirectory.enabled"));
        Assert.Equal("[parameters('entraClientId')]", auth.GetString("properties.identityProviders.azureActiveDirectory.registration.clientId", resolve: false));
        Assert.Contains("tenant().tenantId", auth.GetString("properties.identityProviders.azureActiveDirectory.registration.openIdIssuer", resolve: false), StringComparison.Ordinal);
        Assert.Contains("environment().authentication.loginEndpoint", auth.GetString("properties.identityProviders.azureActiveDirectory.registration.openIdIssuer", resolve: false), StringComparison.Ordinal);
    }

    [Fact]
    public void AuthMode_AppSetting_IsEntraExactlyWhenAuthenticationIsOn()
        => Assert.Equal("[if(variables('entraEnabled'), 'Entra', 'Keys')]", AppSettings.GetString("properties.Auth__Mode", resolve: false));
}
