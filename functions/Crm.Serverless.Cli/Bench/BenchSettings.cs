namespace Crm.Serverless.Cli.Bench;

/// <summary>What to measure and at which sizes.</summary>
internal sealed record BenchSettings(int Customers, int Seed, int StorageCustomers, int ClvCustomers, int StepRows, int HttpPosts, IReadOnlyList<string> Sections)
{
    public bool Runs(string section) => Sections.Contains(section, StringComparer.OrdinalIgnoreCase);
}
