using System.Reflection;
using System.Text.Json;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Local;

namespace Crm.Serverless.Functions.Tests;

/// <summary>
/// What ships where: the Functions app's dependency graph (its generated deps.json, i.e. what a deployment
/// carries) holds no development tooling, and Core holds neither the report nor its chart package.
/// </summary>
public class DependencyGraphTests
{
    private static HashSet<string> FunctionsAppLibraries()
    {
        var root = AzuriteLauncher.FindRepositoryRoot(AppContext.BaseDirectory)!;
        var configuration = typeof(DependencyGraphTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var path = Path.Combine(root, "functions", "Crm.Serverless.Functions", "bin", configuration, "net10.0", "Crm.Serverless.Functions.deps.json");
        Assert.True(File.Exists(path), $"deps.json not found at {path}");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("libraries").EnumerateObject()
            .Select(library => library.Name.Split('/')[0])
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public void FunctionsApp_ShipsTheReport_ButNoDevelopmentTooling()
    {
        var libraries = FunctionsAppLibraries();

        Assert.Contains("Crm.Serverless.Reporting", libraries);
        Assert.DoesNotContain("Crm.Serverless.Local", libraries);
    }

    [Fact]
    public void Core_ReferencesNeitherTheReportNorTheChartPackage()
    {
        var referenced = typeof(CrmTables).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.Contains("Crm.Serverless.Ml", referenced);
        Assert.DoesNotContain(referenced, name => name.StartsWith("ScottPlot", StringComparison.Ordinal)
            || name is "Crm.Serverless.Reporting" or "Crm.Serverless.Local");
    }
}
