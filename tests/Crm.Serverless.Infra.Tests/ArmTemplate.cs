using System.Text.Json;
using System.Text.RegularExpressions;

namespace Crm.Serverless.Infra.Tests;

/// <summary>
/// One template in the compiled ARM JSON: the root (main.bicep) or a module's nested template,
/// with the parameter values its parent deployment passed in.
/// </summary>
public sealed partial class ArmScope
{
    private readonly JsonElement passedParameters;

    public ArmScope(string name, JsonElement template, JsonElement passedParameters, ArmScope? parent)
    {
        Name = name;
        Template = template;
        this.passedParameters = passedParameters;
        Parent = parent;
    }

    /// <summary>"main" for the root, otherwise the module deployment name (e.g. "api").</summary>
    public string Name { get; }

    public JsonElement Template { get; }

    public ArmScope? Parent { get; }

    /// <summary>Resources of this template, whether "resources" is an array or (languageVersion 2.0) an object.</summary>
    public IEnumerable<JsonElement> OwnResources
    {
        get
        {
            if (!Template.TryGetProperty("resources", out var resources))
            {
                return [];
            }

            return resources.ValueKind == JsonValueKind.Object
                ? resources.EnumerateObject().Select(p => p.Value).ToList()
                : resources.EnumerateArray().ToList();
        }
    }

    /// <summary>
    /// Follows plain "[parameters('x')]" and "[variables('x')]" references to the value they stand for:
    /// a value passed by the parent deployment, a parameter default, or a variable. Anything else is returned as is.
    /// </summary>
    public JsonElement Resolve(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return value;
        }

        var text = value.GetString()!;
        var parameter = ParameterReference().Match(text);
        if (parameter.Success)
        {
            var name = parameter.Groups[1].Value;
            if (passedParameters.ValueKind == JsonValueKind.Object
                && passedParameters.TryGetProperty(name, out var passed)
                && passed.TryGetProperty("value", out var passedValue)
                && Parent is not null)
            {
                return Parent.Resolve(passedValue);
            }

            if (Template.TryGetProperty("parameters", out var parameters)
                && parameters.TryGetProperty(name, out var declaration)
                && declaration.TryGetProperty("defaultValue", out var defaultValue))
            {
                return Resolve(defaultValue);
            }

            return value;
        }

        var variable = VariableReference().Match(text);
        if (variable.Success
            && Template.TryGetProperty("variables", out var variables)
            && variables.TryGetProperty(variable.Groups[1].Value, out var variableValue))
        {
            return Resolve(variableValue);
        }

        return value;
    }

    /// <summary>Replaces every variables('x') whose value is a string literal inside an expression with that literal.</summary>
    public string InlineStringVariables(string expression) =>
        VariableCall().Replace(expression, match =>
        {
            if (Template.TryGetProperty("variables", out var variables)
                && variables.TryGetProperty(match.Groups[1].Value, out var v)
                && v.ValueKind == JsonValueKind.String
                && !v.GetString()!.StartsWith('['))
            {
                return $"'{v.GetString()}'";
            }

            return match.Value;
        });

    [GeneratedRegex(@"^\[parameters\('([^']+)'\)\]$")]
    private static partial Regex ParameterReference();

    [GeneratedRegex(@"^\[variables\('([^']+)'\)\]$")]
    private static partial Regex VariableReference();

    [GeneratedRegex(@"variables\('([^']+)'\)")]
    private static partial Regex VariableCall();
}

/// <summary>A resource anywhere in the compiled template, with the scope it was declared in.</summary>
public sealed record ArmResource(JsonElement Element, ArmScope Scope)
{
    public string Type => Element.GetProperty("type").GetString()!;

    public string Name => Element.GetProperty("name").GetString()!;

    public bool IsConditional => Element.TryGetProperty("condition", out _);

    public JsonElement Properties => Element.GetProperty("properties");

    /// <summary>
    /// Value at a dotted path (e.g. "properties.functionAppConfig.runtime.name"), resolved through parameters
    /// and variables up to the root template unless <paramref name="resolve"/> is false.
    /// </summary>
    public JsonElement? Get(string path, bool resolve = true)
    {
        var current = Element;
        foreach (var segment in path.Split('.'))
        {
            current = Scope.Resolve(current);
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(segment, out current))
            {
                return null;
            }
        }

        return resolve ? Scope.Resolve(current) : current;
    }

    public string? GetString(string path, bool resolve = true)
    {
        var value = Get(path, resolve);
        return value is { ValueKind: JsonValueKind.String } v ? v.GetString() : value?.GetRawText();
    }
}

/// <summary>The compiled ARM JSON of infra/main.bicep, walked through its nested module deployments.</summary>
public sealed class ArmTemplate
{
    public ArmTemplate(JsonDocument document)
    {
        Document = document;
        Root = new ArmScope("main", document.RootElement, default, null);
        var resources = new List<ArmResource>();
        Collect(Root, resources);
        Resources = resources;
    }

    public JsonDocument Document { get; }

    public ArmScope Root { get; }

    /// <summary>Every resource in the root template and, recursively, in every nested deployment's template.</summary>
    public IReadOnlyList<ArmResource> Resources { get; }

    public IEnumerable<ArmResource> OfType(string type) =>
        Resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    public ArmResource SingleOfType(string type)
    {
        var matches = OfType(type).ToList();
        Assert.True(matches.Count == 1, $"Expected exactly one {type}, found {matches.Count}.");
        return matches[0];
    }

    private static void Collect(ArmScope scope, List<ArmResource> into)
    {
        foreach (var element in scope.OwnResources)
        {
            var resource = new ArmResource(element, scope);
            into.Add(resource);
            if (resource.Type == "Microsoft.Resources/deployments"
                && resource.Properties.TryGetProperty("template", out var nested))
            {
                resource.Properties.TryGetProperty("parameters", out var passed);
                Collect(new ArmScope(resource.Name, nested, passed, scope), into);
            }
        }
    }
}
