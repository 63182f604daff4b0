using System.Globalization;
using System.Text;

namespace Crm.Serverless.Cli.Bench;

/// <summary>The measured figures as Markdown: every number here was measured in this run, except the labelled extrapolation.</summary>
internal sealed class BenchReport(BenchSettings settings, string[] commandLine)
{
    private const double MiB = 1024 * 1024;
    private readonly string _machine = Machine.Describe();
    private readonly string _load = Machine.Load();
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;

    public List<(ComputeResult Result, string LoadBefore, string LoadAfter)> Compute { get; } = [];

    public StorageResult? Storage { get; set; }

    public IReadOnlyList<HttpSeries>? Http { get; set; }

    public (string Before, string After) HttpLoad { get; set; }

    public ClvResult? Clv { get; set; }

    public NightSimResult? NightSim { get; set; }

    /// <summary>The compute section's per-invocation figures (each stage in a process of its own).</summary>
    public NightSimCompute? ComputeInvocations { get; set; }

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        Line(md, $"# Benchmarks");
        Line(md, $"");
        Line(md, $"Measured by `crm bench` on {_started:yyyy-MM-dd HH:mm} UTC. Machine: {_machine}. Load average (1 min) at start: {_load}, at end: {Machine.Load()}.");
        Line(md, $"Command: `crm {string.Join(' ', commandLine.Skip(1).Select(Quote))}`. Load is shown beside each figure because other builds and tests share the machine.");
        WriteCompute(md);
        WriteStorage(md);
        WriteHttp(md);
        WriteClv(md);
        if (NightSim is { } night)
        {
            NightSimReport.Write(md, night, settings.CalibrationCustomers, settings.Seed);
        }

        return md.ToString();
    }

    private void WriteCompute(StringBuilder md)
    {
        if (Compute.Count == 0)
        {
            return;
        }

        Line(md, $"");
        Line(md, $"## 1. Compute pipeline (in memory, no storage)");
        Line(md, $"");
        Line(md, $"Command: `crm bench --customers {settings.Customers} --seed {settings.Seed} --sections compute` (each size in its own child process, `crm bench compute --customers N`).");
        Line(md, $"Shop: `ShopSimulator` with 156 weeks, rate shape 1.3 (the data of `crm generate --customers N --seed {settings.Seed} --weeks 156 --rate-shape 1.3`), held in memory.");
        Line(md, $"Pipeline = purchase table, churn and purchase models trained and evaluated on their holdouts, CLV fitted and scored, everyone scored and segmented (the nightly stages on 64 in-memory shards: `SummariseShard.Clv`, `FitModels.FitPopulation`, `ScoreShard.Score`).");
        Line(md, $"");
        Line(md, $"| customers | transactions | pipeline s | purchase table s | train churn s | train purchase s | stage 1 s (slowest shard) | stage 2 s | stage 3 s (slowest shard) | peak working set MiB | live data MiB | churn AUC | purchase AUC | load before / after |");
        Line(md, $"|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var (r, before, after) in Compute)
        {
            Line(md, $"| {r.Customers:N0} | {r.Transactions:N0} | {r.PipelineSeconds:0.0} | {Step(r, "purchaseTable")} | {Step(r, "trainChurn")} | {Step(r, "trainPurchase")} | {Step(r, "stage1")} ({Step(r, "stage1Max")}) | {Step(r, "stage2")} | {Step(r, "stage3")} ({Step(r, "stage3Max")}) | {r.PeakWorkingSetBytes / MiB:N0} | {r.DataBytes / MiB:N0} | {r.ChurnAuc:0.000} | {r.PurchaseAuc:0.000} | {before} / {after} |");
        }

        if (Compute.Count > 1)
        {
            var (small, _, _) = Compute[0];
            var (large, _, _) = Compute[^1];
            var perCustomer = (large.PeakWorkingSetBytes - small.PeakWorkingSetBytes) / (double)(large.Customers - small.Customers);
            Line(md, $"");
            Line(md, $"Peak working set grows by {perCustomer:N0} bytes per extra customer between {small.Customers:N0} and {large.Customers:N0} customers ({(large.PeakWorkingSetBytes - small.PeakWorkingSetBytes) / (double)(large.Transactions - small.Transactions):N0} bytes per extra transaction); time by {(large.PipelineSeconds - small.PipelineSeconds) / (large.Customers - small.Customers) * 1e6:0.0} s per million customers.");
        }

        var last = Compute[^1].Result;
        Line(md, $"");
        Line(md, $"Peak working set so far after each step at {last.Customers:N0} customers (MiB): {string.Join(", ", last.PeakAfterStepBytes.Select(p => $"{p.Key} {p.Value / MiB:N0}"))}, scoring and segmenting {last.PeakWorkingSetBytes / MiB:N0}.");
        Line(md, $"");
        Line(md, $"Targets at 1M customers: ≤ 300 s and ≤ 2,048 MiB. Measured at {last.Customers:N0}: {last.PipelineSeconds:0.0} s ({Verdict(last.PipelineSeconds <= 300)}), {last.PeakWorkingSetBytes / MiB:N0} MiB ({Verdict(last.PeakWorkingSetBytes <= 2048 * MiB)}).");
        if (ComputeInvocations is { } invocations)
        {
            NightSimReport.WriteInvocations(md, invocations, last.Customers);
        }
    }

    private void WriteStorage(StringBuilder md)
    {
        if (Storage is not { } s)
        {
            return;
        }

        Line(md, $"");
        Line(md, $"## 2. Storage requests per customer, one nightly run");
        Line(md, $"");
        Line(md, $"Command: `crm bench --customers {settings.Customers} --storage-customers {settings.StorageCustomers} --step-rows {settings.StepRows} --seed {settings.Seed} --sections storage` against the Table service in `CrmStorage` (Azurite by default).");
        Line(md, $"Shop: 156 weeks, rate shape 0.5 (`crm generate --customers {settings.StorageCustomers} --seed {settings.Seed} --weeks 156 --rate-shape 0.5`), imported in three parts; after each part a full nightly run (`NightlyJob.RunAsync`, training, registration, scoring and the 64-shard fan-out written in-process) with every request counted by `StorageRequestCounter`.");
        Line(md, $"");
        Line(md, $"| customers | transactions stored | requests | requests per customer | seconds | load after |");
        Line(md, $"|---:|---:|---:|---:|---:|---|");
        foreach (var p in s.Nightly)
        {
            Line(md, $"| {p.Customers:N0} | {p.Transactions:N0} | {p.Requests:N0} | {p.RequestsPerCustomer:0.0000} | {p.Seconds:0.0} | {p.Load} |");
        }

        var (fixedRequests, perCustomer) = s.Fit();
        Line(md, $"");
        Line(md, $"Least-squares fit through these points: requests ≈ {fixedRequests:0} + {perCustomer:0.00000} × customers. Extrapolated (not measured): {PerCustomer(1_000_000):0.0000} requests per customer at 1M customers, {PerCustomer(10_000_000):0.0000} at 10M. Target ≤ 0.1 per customer: {Verdict(s.Nightly[^1].RequestsPerCustomer <= 0.1)} at {s.Nightly[^1].Customers:N0} measured.");

        double PerCustomer(double customers) => (fixedRequests / customers) + perCustomer;

        Line(md, $"");
        Line(md, $"## 3. Bulk import against raw SDK batches");
        Line(md, $"");
        Line(md, $"Same command as section 2. Import = `ImportService` (what `crm import` runs: parse, read each partition, write purchases and customer aggregates in ETag-guarded 100-action batches), {s.ImportedTransactions:N0} purchase rows in three files. Raw = the same purchase rows as entities, 100-entity `SubmitTransactionAsync` batches per partition, nothing read, parsing done before the clock; into a second table in the same Azurite, each part right after the import's part, so both tables hold the same number of rows at every step. Both use 4 partitions in parallel.");
        Line(md, $"");
        Line(md, $"Requests per purchase row: {s.RequestsPerTransaction:0.0000} ({s.ImportRequests:N0} requests; target ≤ 0.05: {Verdict(s.RequestsPerTransaction <= 0.05)}). Whole runs: import {s.ImportedTransactions / s.ImportSeconds:N0} rows/s, raw {s.ImportedTransactions / s.RawSeconds:N0} rows/s, ratio {s.RawSeconds / s.ImportSeconds:0.00} (target ≥ 0.8: {Verdict(s.RawSeconds / s.ImportSeconds >= 0.8)}). Load {s.LoadBefore} before, {s.LoadAfter} after.");
        Line(md, $"");
        Line(md, $"| purchase rows in table | import rows/s | raw rows/s | import / raw |");
        Line(md, $"|---|---:|---:|---:|");
        for (var i = 0; i < Math.Min(s.ImportCurve.Count, s.RawCurve.Count); i++)
        {
            var import = s.ImportCurve[i];
            var raw = s.RawCurve[i];
            Line(md, $"| {import.FromRows:N0}–{import.ToRows:N0} | {import.RowsPerSecond:N0} | {raw.RowsPerSecond:N0} | {(raw.RowsPerSecond > 0 ? import.RowsPerSecond / raw.RowsPerSecond : 0):0.00} |");
        }
    }

    private void WriteHttp(StringBuilder md)
    {
        if (Http is not { } series)
        {
            return;
        }

        Line(md, $"");
        Line(md, $"## 4. HTTP ingest (crm serve, loopback)");
        Line(md, $"");
        Line(md, $"Command: `crm bench --customers {settings.Customers} --http-posts {settings.HttpPosts} --sections http`. `POST /api/transactions` over a loopback socket to `crm serve`'s host (Kestrel, the Functions app's HTTP classes, function key checked), in the same process, against the Table service; one caller, posts one after another, into empty tables. Load {HttpLoad.Before} before, {HttpLoad.After} after.");
        Line(md, $"");
        Line(md, $"| posts | count | items per post | items/s | p50 ms | p99 ms | failed |");
        Line(md, $"|---|---:|---:|---:|---:|---:|---:|");
        foreach (var h in series)
        {
            Line(md, $"| {h.Name} | {h.Posts:N0} | {h.ItemsPerPost} | {h.ItemsPerSecond:N0} | {h.P50Milliseconds:0.0} | {h.P99Milliseconds:0.0} | {h.Failed} |");
        }
    }

    private void WriteClv(StringBuilder md)
    {
        if (Clv is not { } c)
        {
            return;
        }

        Line(md, $"");
        Line(md, $"## 5. `crm clv fit`, whole process");
        Line(md, $"");
        Line(md, $"Data: `crm generate --customers {c.Customers} --seed 1 --weeks 156 --rate-shape 0.5` ({c.Transactions:N0} transactions). Command: `crm clv fit --transactions FILE --calibration-end {ClvBench.CalibrationEnd}`, run {c.Seconds.Count} times as a child process, wall clock from start to exit.");
        Line(md, $"");
        Line(md, $"| runs s | best s | median s | load before / after |");
        Line(md, $"|---|---:|---:|---|");
        Line(md, $"| {string.Join(", ", c.Seconds.Select(x => x.ToString("0.00", CultureInfo.InvariantCulture)))} | {c.Best:0.00} | {c.Median:0.00} | {c.LoadBefore} / {c.LoadAfter} |");
        Line(md, $"");
        Line(md, $"Target ≤ 1.2 s at 200,000 customers: {Verdict(c.Best <= 1.2)} at {c.Customers:N0} customers (best run).");
    }

    private static string Step(ComputeResult result, string name)
        => result.StepSeconds.TryGetValue(name, out var seconds) ? seconds.ToString("0.0", CultureInfo.InvariantCulture) : "–";

    private static string Verdict(bool met) => met ? "met" : "missed";

    private static string Quote(string argument) => argument.Contains(' ', StringComparison.Ordinal) ? $"\"{argument}\"" : argument;

    private static void Line(StringBuilder md, FormattableString text) => md.AppendLine(text.ToString(CultureInfo.InvariantCulture));
}
