using System.Xml.Linq;

namespace Crm.Serverless.Infra.Tests;

public class AzureYamlTests
{
    private static Dictionary<string, object> AzureYaml =>
        SimpleYaml.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "azure.yaml")));

    [Fact]
    public void Project_is_named_crm_serverless_and_uses_the_bicep_in_infra()
    {
        var yaml = AzureYaml;

        Assert.Equal("crm-serverless", yaml.Scalar("name"));
        var infra = yaml.Map("infra");
        Assert.Equal("bicep", infra.Scalar("provider"));
        Assert.Equal("infra", infra.Scalar("path"));
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, infra.Scalar("path"), infra.Scalar("module") + ".bicep")));
    }

    [Fact]
    public void Api_service_is_a_dotnet_function_app()
    {
        var services = AzureYaml.Map("services");

        Assert.Equal(["api"], services.Keys);
        var api = services.Map("api");
        Assert.Equal("function", api.Scalar("host"));
        Assert.Equal("dotnet", api.Scalar("language"));
        Assert.Equal("./functions/Crm.Serverless.Functions", api.Scalar("project"));
    }

    [Fact]
    public void Api_service_project_is_the_functions_project_in_the_repo()
    {
        var project = AzureYaml.Map("services").Map("api").Scalar("project");
        var directory = Path.GetFullPath(Path.Combine(RepoPaths.Root, project));

        Assert.True(Directory.Exists(directory), $"{directory} does not exist.");
        var csproj = Assert.Single(Directory.GetFiles(directory, "*.csproj"));
        var xml = XDocument.Load(csproj);
        Assert.Equal("v4", xml.Descendants("AzureFunctionsVersion").Single().Value);
        Assert.Contains(xml.Descendants("PackageReference"), e => (string?)e.Attribute("Include") == "Microsoft.Azure.Functions.Worker.Sdk");
    }

    [Fact]
    public void Azd_service_name_matches_the_function_app_tag_in_the_bicep()
    {
        var serviceName = Assert.Single(AzureYaml.Map("services").Keys);

        Assert.Equal(serviceName, CompiledTemplateTests.ModuleParameterValue("api", "serviceName"));
    }
}
