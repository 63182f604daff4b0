using System.Reflection;
using System.Text.Json;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Local;
using YamlDotNet.RepresentationModel;

namespace Crm.Serverless.Functions.Tests;

/// <summary>openapi.yaml and the generated functions.metadata must describe the same HTTP surface.</summary>
public class OpenApiTests
{
    private static readonly string Root = AzuriteLauncher.FindRepositoryRoot(AppContext.BaseDirectory)!;

    private static YamlMappingNode Document()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(Root, "openapi.yaml"))));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static YamlMappingNode Map(YamlNode node, string key) => (YamlMappingNode)((YamlMappingNode)node).Children[new YamlScalarNode(key)];

    private static IEnumerable<(string Route, string Method, string Function, string AuthLevel)> MetadataOperations()
    {
        var configuration = typeof(OpenApiTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var path = Path.Combine(Root, "functions", "Crm.Serverless.Functions", "bin", configuration, "net10.0", "functions.metadata");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var function in document.RootElement.EnumerateArray())
        {
            foreach (var binding in function.GetProperty("bindings").EnumerateArray().Where(b => b.GetProperty("type").GetString() == "httpTrigger"))
            {
                foreach (var method in binding.GetProperty("methods").EnumerateArray())
                {
                    yield return ("/" + binding.GetProperty("route").GetString(), method.GetString()!.ToLowerInvariant(), function.GetProperty("name").GetString()!, binding.GetProperty("authLevel").GetString()!);
                }
            }
        }
    }

    private static IEnumerable<(string Route, string Method, YamlMappingNode Operation)> DocumentOperations()
    {
        foreach (var (route, item) in Map(Document(), "paths").Children)
        {
            foreach (var (method, operation) in ((YamlMappingNode)item).Children.Where(c => ((YamlScalarNode)c.Key).Value != "parameters"))
            {
                yield return (((YamlScalarNode)route).Value!, ((YamlScalarNode)method).Value!, (YamlMappingNode)operation);
            }
        }
    }

    [Fact]
    public void Document_IsOpenApi31WithFunctionKeySchemes()
    {
        var document = Document();

        Assert.StartsWith("3.1", ((YamlScalarNode)document.Children[new YamlScalarNode("openapi")]).Value, StringComparison.Ordinal);
        var schemes = Map(Map(document, "components"), "securitySchemes");
        Assert.Equal("x-functions-key", ((YamlScalarNode)Map(schemes, "functionKey").Children[new YamlScalarNode("name")]).Value);
    }

    [Fact]
    public void EveryRouteAndMethod_IsInBothTheDocumentAndTheMetadata()
    {
        var inMetadata = MetadataOperations().Select(o => $"{o.Method.ToUpperInvariant()} {o.Route}").Order(StringComparer.Ordinal).ToList();
        var inDocument = DocumentOperations().Select(o => $"{o.Method.ToUpperInvariant()} {o.Route}").Order(StringComparer.Ordinal).ToList();

        Assert.Equal(inMetadata, inDocument);
    }

    [Fact]
    public void OperationIds_AreTheFunctionNames_AndOnlyAnonymousFunctionsDropSecurity()
    {
        var functions = MetadataOperations().ToDictionary(o => $"{o.Method} {o.Route}");

        foreach (var (route, method, operation) in DocumentOperations())
        {
            var function = functions[$"{method} {route}"];
            Assert.Equal(function.Function, ((YamlScalarNode)operation.Children[new YamlScalarNode("operationId")]).Value);
            var open = operation.Children.TryGetValue(new YamlScalarNode("security"), out var security) && ((YamlSequenceNode)security).Children.Count == 0;
            Assert.Equal(function.AuthLevel == "Anonymous", open);
        }
    }

    [Fact]
    public void EveryOperation_DocumentsItsProblemResponses()
    {
        foreach (var (route, method, operation) in DocumentOperations().Where(o => o.Route is not "/health" and not "/openapi.yaml"))
        {
            var responses = Map(operation, "responses").Children.Keys.Select(k => ((YamlScalarNode)k).Value).ToList();
            Assert.True(responses.Contains("503"), $"{method} {route} does not document 503");
            Assert.True(responses.Any(r => r!.StartsWith('4')), $"{method} {route} documents no 4xx");
        }
    }

    [Fact]
    public void App_ServesTheSameDocument()
        => Assert.Equal(File.ReadAllText(Path.Combine(Root, "openapi.yaml")), OpenApiHttp.Document.Value);
}
