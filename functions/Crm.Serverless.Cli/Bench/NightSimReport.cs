using System.Globalization;
using System.Text;
using Crm.Serverless.Core.Nightly;

namespace Crm.Serverless.Cli.Bench;

/// <summary>Section 6 of the bench report: the simulated night's invocations and its wall time against the storage floor.</summary>
internal static class NightSimReport
{
    public static readonly int[] Instances = [1, 8, 64];

    private const double MiB = 1024 * 1024;

    /// <summary>The stage's entities (read + written) per invocation at the simulated size, scaled per customer from the calibration night.</summary>
    public static double EntitiesPerInvocation(StageFigures stage, long entities, int calibrationCustomers, long customers)
        => stage.Invocations == 0 ? 0 : entities / (double)calibrationCustomers * customers / stage.Invocations;

    public static void Write(StringBuilder md, NightSimResult r, int calibrationCustomers, int seed)
    {
        var c = r.Compute;
        var steady = r.Calibration.SteadyNight;
        var first = r.Calibration.FirstNight;
        Line(md, $"");
        Line(md, $"## 6. The night at {r.Customers:N0} customers, simulated");
        Line(md, $"");
        Line(md, $"Command: `crm bench --customers {r.Customers} --calibration-customers {calibrationCustomers} --seed {seed} --sections night-sim`. Load {r.LoadBefore} before, {r.LoadAfter} after.");
        Line(md, $"Compute: one shard of the simulated shop ({c.ShardCustomers:N0} customers, {c.ShardTransactions:N0} purchases, `ShopSimulator` 156 weeks, rate shape 1.3) through the stages' own calls in a child process (`crm bench night-sim`), artefacts handed on as files: stage 1 `SummariseShard.Clv`, the cut-off columns and the compact histories from rows already read; stage 2 `FitModels.FitPopulation` on {c.Shards} shards' columns ({c.ShardCustomers * (long)c.Shards:N0} customers) and both models trained on a {c.SampleCustomers:N0}-customer sample ({c.SampleCustomers / c.Shards:N0} per shard, as the night samples); stage 3 `ScoreShard.Score`. Peak memory per invocation from a reset high-water mark (reset {(c.PeakReset ? "worked" : "not possible here: peaks are cumulative")}), resident set and managed heap sampled every 10 ms; time excludes generating the data.");
        Line(md, $"Storage: a real night on the Table service (`NightlyJob.RunWithFiguresAsync`, the counters `crm score` prints) on {r.Calibration.Customers:N0} imported customers ({r.Calibration.Transactions:N0} purchases), twice: the first night (every customer new) and a steady night (nothing changed since). Entities per invocation at {r.Customers:N0} = entities at calibration / {r.Calibration.Customers:N0} × {r.Customers:N0} / invocations. Stages 4 and 5 are not computed here (they fold the shards' small outputs); only their storage counts.");
        Line(md, $"");
        Line(md, $"| stage | invocations | customers per invocation | compute s | peak working set MiB | peak managed MiB | read per invocation, steady | written per invocation, steady | read per invocation, first night | written per invocation, first night | requests per customer at calibration, steady |");
        Line(md, $"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (var i = 0; i < steady.Count; i++)
        {
            var (s, f) = (steady[i], first[i]);
            var measured = Measured(c, s.Stage);
            var perInvocation = s.Invocations == 0 ? 0 : r.Customers / s.Invocations;
            Line(md, $"| {(int)s.Stage} {s.Stage} | {s.Invocations} | {perInvocation:N0} | {(measured is null ? "–" : measured.Seconds.ToString("0.000", CultureInfo.InvariantCulture))} | {(measured is null ? "–" : (measured.PeakWorkingSetBytes / MiB).ToString("N0", CultureInfo.InvariantCulture))} | {(measured is null ? "–" : (measured.PeakManagedBytes / MiB).ToString("N0", CultureInfo.InvariantCulture))} | {EntitiesPerInvocation(s, s.EntitiesRead, r.Calibration.Customers, r.Customers):N0} | {EntitiesPerInvocation(s, s.EntitiesWritten, r.Calibration.Customers, r.Customers):N0} | {EntitiesPerInvocation(f, f.EntitiesRead, r.Calibration.Customers, r.Customers):N0} | {EntitiesPerInvocation(f, f.EntitiesWritten, r.Calibration.Customers, r.Customers):N0} | {s.Requests / (double)r.Calibration.Customers:0.0000} |");
        }

        var largestMemory = c.Invocations.MaxBy(i => i.PeakWorkingSetBytes)!;
        var longest = c.Invocations.MaxBy(i => i.Seconds)!;
        Line(md, $"");
        Line(md, $"Largest invocation: by memory stage {largestMemory.Stage}, {largestMemory.PeakWorkingSetBytes / MiB:N0} MiB; by time stage {longest.Stage}, {longest.Seconds:0.0} s compute. Targets ≤ 1,024 MiB and ≤ 300 s per invocation (storage time per invocation below): {Verdict(largestMemory.PeakWorkingSetBytes <= 1024 * MiB)}, {Verdict(longest.Seconds <= 300)}.");
        Line(md, $"");
        Line(md, $"Wall time: {NightSimArithmetic.AccountEntitiesPerSecond:N0} entities/s per account, {NightSimArithmetic.PartitionEntitiesPerSecond:N0} per partition; a stage of n invocations on I instances takes ceil(n / I) × (compute + entities per invocation / min({NightSimArithmetic.PartitionEntitiesPerSecond:N0}, {NightSimArithmetic.AccountEntitiesPerSecond:N0} / min(I, n))) s. Floor = 2 × {r.Customers:N0} / {NightSimArithmetic.AccountEntitiesPerSecond:N0} s (every summary read and every score written once).");
        Line(md, $"");
        Line(md, $"| night | instances | stage 1 s | stage 2 s | stage 3 s | stage 4 s | stage 5 s | night s | floor s | night / floor |");
        Line(md, $"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var floor = NightSimArithmetic.FloorSeconds(r.Customers);
        double? steady64 = null;
        foreach (var (name, stages) in new[] { ("steady", steady), ("first", first) })
        {
            foreach (var instances in Instances)
            {
                var seconds = stages.Select(s => NightSimArithmetic.StageSeconds(
                    s.Invocations, instances, Measured(c, s.Stage)?.Seconds ?? 0, EntitiesPerInvocation(s, s.EntitiesRead + s.EntitiesWritten, r.Calibration.Customers, r.Customers))).ToList();
                var night = seconds.Sum();
                steady64 ??= name == "steady" && instances == 64 ? night : null;
                Line(md, $"| {name} | {instances} | {string.Join(" | ", seconds.Select(x => x.ToString("0.0", CultureInfo.InvariantCulture)))} | {night:0.0} | {floor:0.00} | {night / floor:0.00} |");
            }
        }

        var storagePerCustomer = steady.Sum(s => s.EntitiesRead + s.EntitiesWritten) / (double)r.Calibration.Customers;
        var computeSeconds = c.Invocations.Sum(i => i.Seconds);
        var storageSeconds = storagePerCustomer * r.Customers / NightSimArithmetic.AccountEntitiesPerSecond;
        Line(md, $"");
        Line(md, $"At 64 instances the steady night takes {steady64:0} s, {steady64 / floor:0.00}× the floor (target ≤ 1.5×: {Verdict(steady64 / floor <= 1.5)}). Of that, {storageSeconds:0} s is entity traffic at the account's rate ({storagePerCustomer:0.00} entities per customer; the floor counts 2) and {computeSeconds:0} s is one invocation of each computed stage back to back. What binds first: {(storageSeconds >= computeSeconds ? "the account's entity rate" : "compute")}.");
    }

    /// <summary>Section 1's per-invocation table: each computed stage's invocation in its own process, one shard of the shop.</summary>
    public static void WriteInvocations(StringBuilder md, NightSimCompute c, int customers)
    {
        Line(md, $"");
        Line(md, $"Per stage invocation at {customers:N0} customers, each in a process holding only its own input (`crm bench night-sim --shard-customers {c.ShardCustomers}`: stage 1 and 3 on one shard of {c.ShardCustomers:N0} customers, stage 2 on {c.Shards} shards' summary columns and a {c.SampleCustomers:N0}-customer training sample; peak from a reset high-water mark: {(c.PeakReset ? "yes" : "not possible here, sampled only")}):");
        Line(md, $"");
        Line(md, $"| stage invocation | customers | compute s | peak working set MiB | peak managed MiB | within 1 GiB and 5 min |");
        Line(md, $"|---|---:|---:|---:|---:|---|");
        foreach (var i in c.Invocations)
        {
            Line(md, $"| {i.Stage} | {i.Customers:N0} | {i.Seconds:0.00} | {i.PeakWorkingSetBytes / MiB:N0} | {i.PeakManagedBytes / MiB:N0} | {(i.PeakWorkingSetBytes <= 1024 * MiB && i.Seconds <= 300 ? "yes" : "no")} |");
        }
    }

    private static InvocationFigures? Measured(NightSimCompute compute, NightStage stage)
        => compute.Invocations.FirstOrDefault(i => i.Stage.StartsWith(((int)stage).ToString(CultureInfo.InvariantCulture) + " ", StringComparison.Ordinal));

    private static string Verdict(bool met) => met ? "met" : "missed";

    private static void Line(StringBuilder md, FormattableString text) => md.AppendLine(text.ToString(CultureInfo.InvariantCulture));
}
