using System.Globalization;
using Crm.Serverless.Cli;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>`crm bench` on a small shop: every section is written and holds measured, positive figures (no timing limits).</summary>
[Collection(AzuriteCollection.Name)]
public sealed class BenchCommandTests(AzuriteFixture azurite) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("crm-bench-test-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Bench_SmallShop_WritesEverySectionWithMeasuredFigures()
    {
        Assert.NotNull(azurite.RepositoryRoot);
        var output = Path.Combine(_folder, "bench.md");

        var exitCode = await CrmCommandLine.RunAsync(
            ["bench", "--customers", "2000", "--storage-customers", "600", "--clv-customers", "1000", "--step-rows", "1000", "--http-posts", "10", "--out", output]);

        Assert.Equal(0, exitCode);
        var report = await File.ReadAllTextAsync(output);
        Assert.Contains("cores", report, StringComparison.Ordinal);
        Assert.Contains("Load average", report, StringComparison.Ordinal);

        var compute = Rows(report, "## 1.");
        Assert.Single(compute);
        Assert.Equal(2000, Number(compute[0][0]));
        Assert.All(compute[0][1..3], cell => Assert.True(Number(cell) > 0, cell));
        Assert.True(Number(compute[0][8]) > 0, "peak working set");

        var nightly = Rows(report, "## 2.");
        Assert.Equal([60, 180, 600], nightly.Select(row => Number(row[0])));
        Assert.All(nightly, row => Assert.True(Number(row[2]) > 0 && Number(row[3]) > 0, string.Join('|', row)));
        Assert.Contains("requests ≈", report, StringComparison.Ordinal);

        var curve = Rows(report, "## 3.");
        Assert.True(curve.Count >= 3, $"{curve.Count} import steps of 1,000 rows");
        Assert.All(curve, row => Assert.True(Number(row[1]) > 0 && Number(row[2]) > 0, string.Join('|', row)));
        Assert.Matches(@"Requests per purchase row: 0\.\d*[1-9]", report);

        var http = Rows(report, "## 4.");
        Assert.Equal(["single", "batch of 500"], http.Select(row => row[0]));
        Assert.All(http, row => Assert.True(Number(row[3]) > 0 && Number(row[4]) > 0 && Number(row[6]) == 0, string.Join('|', row)));

        var clv = Rows(report, "## 5.");
        Assert.True(Number(clv[0][1]) > 0);
    }

    [Fact]
    public async Task Bench_NightSim_TinyShop_WallTimesFollowFromTheInvocationTable()
    {
        var output = Path.Combine(_folder, "night.md");

        var exitCode = await CrmCommandLine.RunAsync(
            ["bench", "--customers", "6400", "--calibration-customers", "600", "--sections", "night-sim", "--out", output]);

        Assert.Equal(0, exitCode);
        var report = await File.ReadAllTextAsync(output);
        var invocations = Rows(report, "## 6.");
        Assert.Equal(["1", "2", "3", "4", "5"], invocations.Select(row => row[0].Split(' ')[0]));
        Assert.Equal([64, 1, 64, 1, 1], invocations.Select(row => (int)Number(row[1])));
        Assert.All(invocations.Take(3), row => Assert.True(Number(row[4]) > 0 && Number(row[5]) > 0, string.Join('|', row)));
        Assert.True(Number(invocations[1][3]) > 0, "stage 2 fits and trains: it takes measurable time");
        Assert.All(invocations.Skip(3), row => Assert.Equal("–", row[3]));
        // Stage 1 reads its shard; stage 3 writes each customer's one score row and reads only erase-log rows (none here).
        Assert.True(Number(invocations[0][6]) > 0);
        Assert.InRange(Number(invocations[2][7]), 75, 6400 / 64);
        Assert.Equal(0, Number(invocations[2][6]));

        var lines = report[report.IndexOf("| night | instances", StringComparison.Ordinal)..].Split('\n');
        var wall = lines.TakeWhile(line => line.StartsWith('|')).Skip(2).Select(line => line.Trim().Trim('|').Split('|').Select(cell => cell.Trim()).ToArray()).ToList();
        Assert.Equal(["steady", "steady", "steady", "first", "first", "first"], wall.Select(row => row[0]));
        Assert.Equal([1, 8, 64, 1, 8, 64], wall.Select(row => (int)Number(row[1])));
        foreach (var row in wall)
        {
            var instances = (int)Number(row[1]);
            var (read, written) = row[0] == "steady" ? (6, 7) : (8, 9);
            for (var stage = 0; stage < 5; stage++)
            {
                var n = (int)Number(invocations[stage][1]);
                var compute = invocations[stage][3] == "–" ? 0 : Number(invocations[stage][3]);
                var rate = Math.Min(2_000.0, 20_000.0 / Math.Min(instances, n));
                var waves = Math.Ceiling(n / (double)instances);
                var expected = waves * (compute + ((Number(invocations[stage][read]) + Number(invocations[stage][written])) / rate));
                Assert.InRange(Number(row[2 + stage]), expected - (0.01 * waves) - 0.06, expected + (0.01 * waves) + 0.06);
            }

            var night = Number(row[7]);
            Assert.InRange(night, row[2..7].Sum(Number) - 0.3, row[2..7].Sum(Number) + 0.3);
            var floor = Number(row[8]);
            Assert.Equal(2.0 * 6400 / 20_000, floor, 2);
            Assert.InRange(Number(row[9]), ((night - 0.05) / floor) - 0.01, ((night + 0.05) / floor) + 0.01);
        }

        Assert.Contains("What binds first:", report, StringComparison.Ordinal);
    }

    /// <summary>The body rows of the first table after a section heading, cells trimmed.</summary>
    private static List<string[]> Rows(string report, string heading)
    {
        var lines = report[report.IndexOf(heading, StringComparison.Ordinal)..].Split('\n');
        var table = lines.SkipWhile(line => !line.StartsWith('|')).TakeWhile(line => line.StartsWith('|')).Skip(2);
        return [.. table.Select(line => line.Trim().Trim('|').Split('|').Select(cell => cell.Trim()).ToArray())];
    }

    /// <summary>The cell's figure; a stage cell also names its slowest shard in brackets after it ("0.7 (0.0)").</summary>
    private static double Number(string cell) => double.Parse(cell.Split(' ')[0].Replace(",", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture);

    [Theory]
    [InlineData(64, 8, 1.0, 2_000.0, 16.0)] // 8 waves of (1 s + 2,000 entities at the partition's 2,000/s)
    [InlineData(64, 64, 0.0, 4_000.0, 12.8)] // one wave; 64 share the account's 20,000/s: 312.5 each
    [InlineData(1, 64, 10.0, 2_000.0, 11.0)] // one invocation: the partition limit binds, not the account
    [InlineData(0, 8, 5.0, 1_000.0, 0.0)]
    public void NightSim_StageSeconds_FollowTheAccountAndPartitionLimits(int invocations, int instances, double compute, double entities, double seconds)
        => Assert.Equal(seconds, Crm.Serverless.Cli.Bench.NightSimArithmetic.StageSeconds(invocations, instances, compute, entities), 9);
}
