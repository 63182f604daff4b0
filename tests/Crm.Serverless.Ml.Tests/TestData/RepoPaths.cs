namespace Crm.Serverless.Ml.Tests.TestData;

/// <summary>Finds files in the repository from wherever the test runner put the test assembly.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Crm.Serverless.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Crm.Serverless.sln not found above " + AppContext.BaseDirectory);
    }
}
