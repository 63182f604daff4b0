using System.Diagnostics;
using Azure.Data.Tables;
using Crm.Serverless.Cli.Commands;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Simulation;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Serverless.Cli.Bench;

/// <summary>A nightly run measured at one shop size: storage requests it sent and how long it took.</summary>
internal sealed record NightlyPoint(int Customers, long Transactions, long Requests, double Seconds, string Load)
{
    public double RequestsPerCustomer => Customers > 0 ? (double)Requests / Customers : 0;
}

internal sealed record StorageResult(
    IReadOnlyList<NightlyPoint> Nightly,
    long ImportedTransactions,
    long ImportRequests,
    double ImportSeconds,
    double RawSeconds,
    IReadOnlyList<CurveStep> ImportCurve,
    IReadOnlyList<CurveStep> RawCurve,
    string LoadBefore,
    string LoadAfter)
{
    public double RequestsPerTransaction => ImportedTransactions > 0 ? (double)ImportRequests / ImportedTransactions : 0;

    /// <summary>Least-squares line through the nightly points: requests = Fixed + PerCustomer * customers.</summary>
    public (double Fixed, double PerCustomer) Fit()
    {
        var n = Nightly.Count;
        if (n < 2)
        {
            return (0, n == 1 ? Nightly[0].RequestsPerCustomer : 0);
        }

        var meanX = Nightly.Average(p => (double)p.Customers);
        var meanY = Nightly.Average(p => (double)p.Requests);
        var sxx = Nightly.Sum(p => (p.Customers - meanX) * (p.Customers - meanX));
        var sxy = Nightly.Sum(p => (p.Customers - meanX) * (p.Requests - meanY));
        var slope = sxx > 0 ? sxy / sxx : 0;
        return (meanY - (slope * meanX), slope);
    }
}

/// <summary>
/// The storage half on a real Table service (Azurite locally): a shop imported in three growing parts with
/// <c>crm import</c>'s <see cref="ImportService"/>, the same rows written by a plain SDK loop of 100-entity batches
/// into a second table at the same sizes, and a full nightly run (<see cref="NightlyJob"/>, training included)
/// after each part, every request counted by <see cref="StorageRequestCounter"/>.
/// </summary>
internal static class StorageBench
{
    /// <summary>Parallel partitions for both writers, as <see cref="ImportRequest"/> defaults to.</summary>
    private const int Parallelism = 4;

    public static ShopSimulationOptions Shop(int customers, int seed) => new() { Customers = customers, Seed = seed, ObservationWeeks = 156, R = 0.5 };

    public static async Task<StorageResult> RunAsync(IServiceProvider services, string prefix, int customers, int seed, long stepRows, string folder, CancellationToken cancellationToken)
    {
        var loadBefore = Machine.Load();
        var file = new FileInfo(Path.Combine(folder, "storage-shop.csv"));
        await GenerateCommand.WriteAsync(Shop(customers, seed), file, null, cancellationToken);

        // Nightly runs at a tenth, three tenths and all of the customers: the points the formula is fitted to.
        int[] sizes = [Math.Max(1, customers / 10), Math.Max(2, customers * 3 / 10), customers];
        var parts = SplitByCustomers(file, sizes, folder);

        var counter = services.GetRequiredService<StorageRequestCounter>();
        var import = services.GetRequiredService<ImportService>();
        var reader = services.GetRequiredService<CsvItemReader>();
        var nightly = services.GetRequiredService<NightlyJob>();
        var raw = services.GetRequiredService<TableServiceClient>().GetTableClient(prefix + "Raw");
        await raw.CreateIfNotExistsAsync(cancellationToken);

        var importClock = new StepClock(stepRows);
        var rawClock = new StepClock(stepRows);
        var points = new List<NightlyPoint>();
        long transactions = 0, importRequests = 0;
        double importSeconds = 0, rawSeconds = 0;
        try
        {
            for (var k = 0; k < parts.Count; k++)
            {
                var progress = new Progress(importClock);
                importClock.Resume();
                var report = await import.ImportAsync(new ImportRequest(parts[k], null, Parallelism), progress, cancellationToken);
                importClock.Pause();
                transactions += report.TransactionRows;
                importRequests += report.StorageRequests;
                importSeconds += report.Elapsed.TotalSeconds;
                if (report.Rejections.Count > 0)
                {
                    throw new InvalidOperationException($"The generated shop had {report.Rejections.Count} rejected rows: {report.Rejections[0].Reason}");
                }

                rawSeconds += await WriteRawAsync(raw, reader, parts[k], rawClock, cancellationToken);

                var before = counter.Count;
                var stopwatch = Stopwatch.StartNew();
                await nightly.RunAsync(asOf: null, train: true, parallelism: Parallelism, cancellationToken);
                points.Add(new NightlyPoint(sizes[k], transactions, counter.Count - before, stopwatch.Elapsed.TotalSeconds, Machine.Load()));
            }
        }
        finally
        {
            await raw.DeleteAsync(CancellationToken.None);
        }

        importClock.Finish();
        rawClock.Finish();
        return new StorageResult(points, transactions, importRequests, importSeconds, rawSeconds, importClock.Steps, rawClock.Steps, loadBefore, Machine.Load());
    }

    /// <summary>
    /// The baseline: the same purchase rows as entities, 100 per batch per partition, partitions in parallel,
    /// nothing read first. Parsing and mapping happen before the clock starts, so this is the SDK's rate alone.
    /// </summary>
    private static async Task<double> WriteRawAsync(TableClient table, CsvItemReader reader, string path, StepClock clock, CancellationToken cancellationToken)
    {
        var receivedAt = DateTimeOffset.UtcNow;
        List<TransactionEntity> entities;
        using (var text = File.OpenText(path))
        {
            entities = [.. reader.ReadTransactions(text)
                .Select(item => EntityMapper.ToEntity(item.Value!, PayloadHash.Of(item.Value!), IngestSource.Import, receivedAt))];
        }

        var batches = entities.GroupBy(e => e.PartitionKey, StringComparer.Ordinal).Select(p => p.Chunk(100).ToList()).ToList();
        long written = 0;
        var stopwatch = Stopwatch.StartNew();
        clock.Resume();
        await Parallel.ForEachAsync(
            batches,
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (partition, ct) =>
            {
                foreach (var batch in partition)
                {
                    await table.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)), ct);
                    clock.Report(Interlocked.Add(ref written, batch.Length));
                }
            });
        clock.Pause();
        return stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>Splits a generated file (one customer's rows together) into parts ending at the given customer counts.</summary>
    private static List<string> SplitByCustomers(FileInfo file, int[] ends, string folder)
    {
        var paths = new List<string>();
        using var input = file.OpenText();
        var header = input.ReadLine()!;
        StreamWriter? output = null;
        var customers = 0;
        var part = -1;
        string? current = null;
        try
        {
            while (input.ReadLine() is { } line)
            {
                var start = line.IndexOf(',', StringComparison.Ordinal) + 1;
                var customer = line[start..line.IndexOf(',', start)];
                if (customer != current)
                {
                    current = customer;
                    customers++;
                    if (part < 0 || (customers > ends[part] && part < ends.Length - 1))
                    {
                        output?.Dispose();
                        part++;
                        paths.Add(Path.Combine(folder, $"storage-part{part}.csv"));
                        output = new StreamWriter(paths[^1]);
                        output.WriteLine(header);
                    }
                }

                output!.WriteLine(line);
            }
        }
        finally
        {
            output?.Dispose();
        }

        return paths;
    }

    private sealed class Progress(StepClock clock) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => clock.Report(value.Done);
    }
}
