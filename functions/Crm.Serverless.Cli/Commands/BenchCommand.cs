using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Crm.Serverless.Cli.Bench;
using Crm.Serverless.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Crm.Serverless.Cli.Commands;

/// <summary>
/// <c>crm bench --customers N [--out BENCHMARKS.md]</c>: measures the compute pipeline (time and peak memory at
/// three sizes), storage requests of nightly runs and imports, import against raw SDK writes, the HTTP door,
/// and <c>crm clv fit</c>, and writes the figures with the machine and its load as Markdown. <c>--sections night-sim</c>
/// simulates a night at <c>--customers</c> (10M) from one generated shard and a small real night's counters.
/// Storage figures need a Table service: Azurite by default, or <c>CrmStorage</c>.
/// </summary>
internal static class BenchCommand
{
    /// <summary>What a plain <c>crm bench</c> runs; <c>night-sim</c> (the simulated 10M night) only when asked for.</summary>
    public static readonly string[] DefaultSections = ["compute", "storage", "http", "clv"];

    public static readonly string[] AllSections = [.. DefaultSections, "night-sim"];

    public static Command Create()
    {
        var customers = new Option<int>("--customers") { Description = "Customers in the compute run (1000000 for the headline figures)", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "Markdown report to write", DefaultValueFactory = _ => new FileInfo("BENCHMARKS.md") };
        var seed = new Option<int>("--seed") { Description = "Random seed of the simulated shops", DefaultValueFactory = _ => 1 };
        var storageCustomers = new Option<int?>("--storage-customers") { Description = "Customers imported and scored on storage (default: a tenth of --customers, 1,000 to 100,000)" };
        var clvCustomers = new Option<int?>("--clv-customers") { Description = "Customers in the clv fit file (default: a fifth of --customers, at least 1,000)" };
        var stepRows = new Option<int>("--step-rows") { Description = "Rows per step of the import curve", DefaultValueFactory = _ => 50_000 };
        var posts = new Option<int>("--http-posts") { Description = "Single-item posts; a tenth as many 500-item batches", DefaultValueFactory = _ => 200 };
        var sections = new Option<string[]>("--sections") { Description = "Which sections to run", DefaultValueFactory = _ => DefaultSections, AllowMultipleArgumentsPerToken = true };
        var calibration = new Option<int>("--calibration-customers") { Description = "night-sim: customers of the storage night whose per-stage counts are scaled up", DefaultValueFactory = _ => 2_000 };
        sections.AcceptOnlyFromAmong(AllSections);
        // Below these the simulated shops have too few repeat buyers for the CLV fit, and the bench would stop half-way.
        customers.Within(n => n >= 1_000, "--customers must be a whole number of at least 1000.");
        storageCustomers.Within(n => n >= 500, "--storage-customers must be a whole number of at least 500.");
        clvCustomers.Within(n => n >= 1_000, "--clv-customers must be a whole number of at least 1000.");
        calibration.Within(n => n >= 500, "--calibration-customers must be a whole number of at least 500.");
        stepRows.Within(n => n >= 1, "--step-rows must be a whole number of at least 1.");
        posts.Within(n => n >= 10, "--http-posts must be a whole number of at least 10 (a tenth as many batches are posted).");
        var command = new Command("bench", "Measure throughput, memory and storage requests; write the figures as Markdown.")
        {
            customers, output, seed, storageCustomers, clvCustomers, stepRows, posts, sections, calibration,
        };
        command.Subcommands.Add(CreateComputeChild());
        command.Subcommands.Add(CreateNightSimChild());
        command.SetAction(async (parse, cancellationToken) =>
        {
            var n = parse.GetValue(customers);
            var settings = new BenchSettings(
                n,
                parse.GetValue(seed),
                parse.GetValue(storageCustomers) ?? Math.Clamp(n / 10, 1_000, 100_000),
                parse.GetValue(clvCustomers) ?? Math.Max(n / 5, 1_000),
                parse.GetValue(stepRows),
                parse.GetValue(posts),
                [.. parse.GetValue(sections)!],
                parse.GetValue(calibration));
            var file = parse.GetValue(output)!;
            var report = await RunAsync(settings, cancellationToken);
            await File.WriteAllTextAsync(file.FullName, report, cancellationToken);
            Console.WriteLine($"Benchmark report: {file.FullName}");
            return 0;
        });
        return command;
    }

    /// <summary>The child process of the compute section: runs one size and prints its result as JSON.</summary>
    private static Command CreateComputeChild()
    {
        var customers = new Option<int>("--customers") { Required = true };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var command = new Command("compute", "Internal: one compute run, printed as JSON.") { customers, seed };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            using var host = CliHost.Build();
            var result = ComputeBench.Run(host.Services, parse.GetValue(customers), parse.GetValue(seed));
            Console.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        });
        return command;
    }

    /// <summary>The child process of the night-sim section: one shard through the stages' compute, printed as JSON.</summary>
    private static Command CreateNightSimChild()
    {
        var shardCustomers = new Option<int>("--shard-customers") { Required = true };
        var sample = new Option<int>("--sample-per-shard") { Required = true };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var command = new Command("night-sim", "Internal: one simulated shard through the night's stages, printed as JSON.") { shardCustomers, sample, seed };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            using var host = CliHost.Build();
            var result = NightSimBench.Compute(host.Services, parse.GetValue(shardCustomers), parse.GetValue(sample), parse.GetValue(seed));
            Console.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        });
        return command;
    }

    public static async Task<string> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var report = new BenchReport(settings, Environment.GetCommandLineArgs());
        var folder = Directory.CreateTempSubdirectory("crm-bench-").FullName;
        try
        {
            if (settings.Runs("compute"))
            {
                foreach (var size in ComputeSizes(settings.Customers))
                {
                    var load = Machine.Load();
                    var (json, _) = await Machine.RunCrmAsync(["bench", "compute", "--customers", Invariant(size), "--seed", Invariant(settings.Seed)], cancellationToken);
                    report.Compute.Add((JsonSerializer.Deserialize<ComputeResult>(json)!, load, Machine.Load()));
                }

                report.ComputeInvocations = await NightSimBench.ComputeInChildAsync(settings.Customers, settings.Seed, cancellationToken);
            }

            if (settings.Runs("storage"))
            {
                await WithStorageAsync(async (services, prefix) =>
                    report.Storage = await StorageBench.RunAsync(services, prefix, settings.StorageCustomers, settings.Seed, settings.StepRows, folder, cancellationToken), cancellationToken);
            }

            if (settings.Runs("http"))
            {
                var load = Machine.Load();
                report.Http = await HttpBench.RunAsync(settings.HttpPosts, Math.Max(1, settings.HttpPosts / 10), cancellationToken);
                report.HttpLoad = (load, Machine.Load());
            }

            if (settings.Runs("clv"))
            {
                report.Clv = await ClvBench.RunAsync(settings.ClvCustomers, folder, cancellationToken);
            }

            if (settings.Runs("night-sim"))
            {
                await WithStorageAsync(async (services, _) =>
                    report.NightSim = await NightSimBench.RunAsync(services, settings.Customers, settings.CalibrationCustomers, settings.Seed, folder, cancellationToken), cancellationToken);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        return report.ToMarkdown();
    }

    /// <summary>A hundredth, a tenth and all of the customers, to show how time and memory scale; sizes under 1,000 are too small to train on.</summary>
    public static IReadOnlyList<int> ComputeSizes(int customers)
        => [.. new[] { customers / 100, customers / 10, customers }.Where(n => n >= 1_000 || n == customers).Distinct()];

    /// <summary>A host on tables, queues and containers of its own, all deleted afterwards.</summary>
    private static async Task WithStorageAsync(Func<IServiceProvider, string, Task> run, CancellationToken cancellationToken)
    {
        var prefix = "bench" + Guid.NewGuid().ToString("N")[..8];
        using var host = CliHost.Build(
            new Dictionary<string, string?>
            {
                ["Storage:TablePrefix"] = prefix,
                ["Ingest:QueueName"] = prefix + "-ingest",
            });
        await host.StartAsync(cancellationToken);
        try
        {
            await run(host.Services, prefix);
        }
        finally
        {
            await host.Services.GetRequiredService<CrmTables>().DeleteAllAsync(CancellationToken.None);
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
