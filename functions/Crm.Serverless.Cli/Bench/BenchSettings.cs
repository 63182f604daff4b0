namespace Crm.Serverless.Cli.Bench;

/// <summary>What to measure and at which sizes.</summary>
internal sealed record BenchSettings(int Customers, int Seed, int StorageCustomers, int ClvCustomers, int StepRows, int HttpPosts, IReadOnlyList<string> Sections, int CalibrationCustomers = 2_000)
{
    public bool Runs(string section) => Sections.Contains(section, StringComparer.OrdinalIgnoreCase);
}
