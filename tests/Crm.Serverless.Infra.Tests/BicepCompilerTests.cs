using System.Text.Json;
using System.Xml.Linq;

namespace Crm.Serverless.Infra.Tests;

public class BicepCompilerTests
{
    public static TheoryData<string> BicepFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(RepoPaths.Infra, "*.bicep", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(RepoPaths.Root, file));
        }

        return data;
    }

    [Fact]
    public void Bicep_cli_is_the_version_pinned_in_Directory_Packages_props()
    {
        var props = XDocument.Load(Path.Combine(RepoPaths.Root, "Directory.Packages.props"));
        var pinned = props.Descendants("PackageVersion")
            .Single(e => (string?)e.Attribute("Include") == "Azure.Bicep.CommandLine.linux-x64")
            .Attribute("Version")!.Value;

        var result = BicepCli.Run("--version");

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains($"Bicep CLI version {pinned} ", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_of_main_bicep_succeeds_without_warnings_or_errors()
    {
        var build = CompiledInfra.Build;

        Assert.True(build.ExitCode == 0, build.Describe());
        Assert.True(build.Diagnostics.Count == 0, "bicep build reported diagnostics:" + Environment.NewLine + string.Join(Environment.NewLine, build.Diagnostics));
        Assert.NotEmpty(CompiledInfra.Template.Resources);
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Lint_reports_no_warnings_or_errors(string relativePath)
    {
        var result = BicepCli.Run("lint", Path.Combine(RepoPaths.Root, relativePath));

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.True(result.Diagnostics.Count == 0, $"bicep lint {relativePath} reported diagnostics:" + Environment.NewLine + string.Join(Environment.NewLine, result.Diagnostics));
    }

    [Fact]
    public void Lint_with_the_repo_bicepconfig_reports_a_deliberate_warning()
    {
        // Guards the guard: a linter finding must show up as a "Warning" line that the tests above would catch.
        var dir = Directory.CreateTempSubdirectory("crm-infra-lint-");
        try
        {
            File.Copy(Path.Combine(RepoPaths.Infra, "bicepconfig.json"), Path.Combine(dir.FullName, "bicepconfig.json"));
            var file = Path.Combine(dir.FullName, "probe.bicep");
            File.WriteAllText(file, "param neverUsed string\n");

            var result = BicepCli.Run("lint", file);

            Assert.Contains(result.Diagnostics, line => line.Contains("Warning no-unused-params", StringComparison.Ordinal));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Bicepconfig_enables_the_core_linter_with_no_rule_below_warning()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Infra, "bicepconfig.json")));
        var core = config.RootElement.GetProperty("analyzers").GetProperty("core");

        Assert.True(core.GetProperty("enabled").GetBoolean());
        var rules = core.GetProperty("rules").EnumerateObject().ToDictionary(r => r.Name, r => r.Value.GetProperty("level").GetString());
        Assert.True(rules.Count >= 30, $"Only {rules.Count} rules configured.");
        var weak = rules.Where(r => r.Value is not ("warning" or "error")).Select(r => $"{r.Key}={r.Value}").ToList();
        Assert.True(weak.Count == 0, "Rules below warning: " + string.Join(", ", weak));
        foreach (var rule in new[] { "no-unused-params", "no-unused-vars", "outputs-should-not-contain-secrets", "no-hardcoded-env-urls", "use-secure-value-for-secure-inputs" })
        {
            Assert.Contains(rule, rules.Keys);
        }
    }
}
