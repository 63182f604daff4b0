namespace Crm.Serverless.Cli;

/// <summary>
/// Where an unexpected exception goes in full, so the terminal shows one line and a bug report has the stack trace.
/// Not the command line: its arguments may be a customer id (crm erase).
/// </summary>
internal static class CrashLog
{
    /// <returns>The log file's path, or null when it could not be written (the one-line message still is).</returns>
    public static string? Write(Exception exception, string repositoryRoot)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var file = Path.Combine(repositoryRoot, ".crm", "crash.log");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, $"{DateTimeOffset.UtcNow:O}{Environment.NewLine}{exception}{Environment.NewLine}");
            return file;
        }
        catch (Exception failure) when (failure is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
