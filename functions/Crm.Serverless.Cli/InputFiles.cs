namespace Crm.Serverless.Cli;

/// <summary>Input files are checked before a command opens storage, so a mistyped path is named as such, whatever storage is doing.</summary>
internal static class InputFiles
{
    /// <exception cref="FileNotFoundException">The first file that does not exist; the command line prints its message and exits 1.</exception>
    public static void EnsureExist(params FileInfo?[] files)
    {
        foreach (var file in files)
        {
            if (file is { Exists: false })
            {
                throw new FileNotFoundException($"No such file: {file.FullName}", file.FullName);
            }
        }
    }
}
