using System.Text.Json;

namespace Crm.Serverless.Infra.Tests;

/// <summary>Builds infra/main.bicep once per test run and keeps the CLI result and the ARM JSON.</summary>
public static class CompiledInfra
{
    private static readonly Lazy<(BicepResult Build, ArmTemplate? Template)> Lazy = new(Compile);

    public static BicepResult Build => Lazy.Value.Build;

    public static ArmTemplate Template =>
        Lazy.Value.Template ?? throw new InvalidOperationException($"bicep build produced no template:{Environment.NewLine}{Build.Describe()}");

    private static (BicepResult, ArmTemplate?) Compile()
    {
        var outDir = Path.Combine(Path.GetTempPath(), "crm-infra-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(outDir);
        try
        {
            var result = BicepCli.Run("build", RepoPaths.MainBicep, "--outdir", outDir);
            var json = Path.Combine(outDir, "main.json");
            if (!File.Exists(json))
            {
                return (result, null);
            }

            return (result, new ArmTemplate(JsonDocument.Parse(File.ReadAllText(json))));
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }
}
