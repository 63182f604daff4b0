namespace Crm.Serverless.Infra.Tests;

/// <summary>Locates the repository by walking up from the test binaries to Crm.Serverless.sln.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    public static string Root => LazyRoot.Value;

    public static string Infra => Path.Combine(Root, "infra");

    public static string MainBicep => Path.Combine(Infra, "main.bicep");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Crm.Serverless.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Crm.Serverless.sln not found above {AppContext.BaseDirectory}.");
    }
}
