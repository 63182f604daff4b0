using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Core.Nightly;

/// <summary>
/// What one stage of a night hands the next, as JSON blobs. The per-shard hand-offs live only until the run completes
/// (by then stage 5 has stored what the report is rendered from, <see cref="ReportInputs"/>, and several hold customer
/// ids an erasure would not reach): named <c>{runId}/scratch/...</c>, they go to the run's own scratch container
/// (<see cref="CrmTables.RunScratch"/>), which <see cref="DeleteScratchAsync"/> removes whole, so a completed run keeps
/// a handful of blobs and its clean-up is one request. The rest (plan, fit, report inputs) stay under
/// <c>{runId}/nightly/</c> in the run results container. Each blob is written whole by one stage invocation, so a
/// retried invocation overwrites it with the same content.
/// </summary>
public sealed class NightlyArtefacts(CrmTables tables)
{
    private const string ScratchFolder = "/scratch/";

    // A metric on a one-class holdout slice is NaN; it must round-trip, not fail the night.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Plan(string runId) => $"{runId}/nightly/plan.json";

    /// <summary>Stage 1 → 3: the shard's purchases, compact (holds customer ids: deleted when the run completes).</summary>
    public static string Histories(string runId, int shard) => Scratch(runId, $"histories-{shard:D2}.json");

    /// <summary>Stage 1 → 2: the shard's summary columns, training sample and data-quality tallies (deleted when the run completes).</summary>
    public static string Summary(string runId, int shard) => Scratch(runId, $"summary-{shard:D2}.json");

    /// <summary>Stage 2 → 3, 5 (the report): the fitted models, cut-points and what scores each target.</summary>
    public static string Fit(string runId) => $"{runId}/nightly/fit.json";

    /// <summary>Stage 3 → 5: the shard's score counts, segment totals, CLV values and tracking partial.</summary>
    public static string Scored(string runId, int shard) => Scratch(runId, $"scored-{shard:D2}.json");

    /// <summary>Stage 1 → 4: the shard's product partial and campaign tallies (<see cref="ShardFacts"/>).</summary>
    public static string Facts(string runId, int shard) => Scratch(runId, $"facts-{shard:D2}.json");

    /// <summary>Stage 1 → 3: the shard's discount profiles per customer (holds customer ids: deleted when the run completes).</summary>
    public static string DiscountProfiles(string runId, int shard) => Scratch(runId, $"discount-profiles-{shard:D2}.json");

    /// <summary>Stage 3 → 4: the shard's discount response by segment.</summary>
    public static string Discounts(string runId, int shard) => Scratch(runId, $"discounts-{shard:D2}.json");

    /// <summary>Stage 5: what the report is rendered from, kept so a report can be rebuilt without raw history.</summary>
    public static string ReportInputs(string runId) => $"{runId}/nightly/report-inputs.json";

    /// <summary>The name of an artefact that lives until its run completes, in the run's scratch container.</summary>
    public static string Scratch(string runId, string file) => runId + ScratchFolder + file;

    /// <summary>Where an artefact is stored: the run's scratch container for scratch names, else the run results container.</summary>
    public BlobClient Blob(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var scratch = name.IndexOf(ScratchFolder, StringComparison.Ordinal);
        return scratch < 0 ? tables.RunResults.GetBlobClient(name) : tables.RunScratch(name[..scratch]).GetBlobClient(name);
    }

    public async Task WriteAsync<T>(string name, T value, CancellationToken cancellationToken)
    {
        var blob = Blob(name);
        var content = BinaryData.FromObjectAsJson(value, Json);
        try
        {
            await blob.UploadAsync(content, overwrite: true, cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            // The run's first scratch write creates its container: no request for it on the other writes.
            await blob.GetParentBlobContainerClient().CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await blob.UploadAsync(content, overwrite: true, cancellationToken);
        }
    }

    public async Task<T> ReadAsync<T>(string name, CancellationToken cancellationToken)
    {
        var content = await Blob(name).DownloadContentAsync(cancellationToken);
        return content.Value.Content.ToObjectFromJson<T>(Json)
            ?? throw new InvalidDataException($"The night artefact {name} is empty.");
    }

    public async Task<T?> ReadIfExistsAsync<T>(string name, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await ReadAsync<T>(name, cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
    }

    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
        => await Blob(name).DeleteIfExistsAsync(cancellationToken: cancellationToken);

    /// <summary>Deletes every scratch artefact of the run in one request (their container).</summary>
    public async Task DeleteScratchAsync(string runId, CancellationToken cancellationToken)
        => await tables.RunScratch(runId).DeleteIfExistsAsync(cancellationToken: cancellationToken);
}

/// <summary>What a night was asked to do; written when it starts so any instance can resume it.</summary>
/// <param name="Interactions">The store held interactions when the run was planned: every shard then trains and scores with the interaction features (<see cref="ShardInteractions"/>).</param>
public sealed record NightPlan(string RunId, DateOnly AsOf, bool Train, bool Backfill, bool Publish, int Shards, bool Interactions = false)
{
    /// <summary>"As of D" means D's purchases are in: the models' cut-off instant is the end of that day.</summary>
    public DateTime AsOfEndUtc => AsOfEnd(AsOf);

    /// <summary>The CLV summaries' calibration end: the whole as-of day counts.</summary>
    public DateTime CalibrationEndUtc => AsOf.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    public static DateTime AsOfEnd(DateOnly asOf) => asOf.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc);
}

/// <summary>Customers' purchases as flat columns: customer i owns purchases Offsets[i] to Offsets[i + 1], oldest first.</summary>
public sealed record CompactHistories(string[] CustomerIds, int[] Offsets, long[] Ticks, double[] Amounts)
{
    public int Customers => CustomerIds.Length;

    public static CompactHistories From(IReadOnlyList<CustomerHistory> histories)
    {
        ArgumentNullException.ThrowIfNull(histories);
        var offsets = new int[histories.Count + 1];
        var ticks = new List<long>();
        var amounts = new List<double>();
        for (var i = 0; i < histories.Count; i++)
        {
            foreach (var purchase in histories[i].Purchases)
            {
                ticks.Add(purchase.TimestampUtc.Ticks);
                amounts.Add(purchase.Amount);
            }

            offsets[i + 1] = ticks.Count;
        }

        return new CompactHistories([.. histories.Select(h => h.CustomerId)], offsets, [.. ticks], [.. amounts]);
    }

    public List<CustomerHistory> ToHistories()
    {
        var histories = new List<CustomerHistory>(Customers);
        for (var i = 0; i < Customers; i++)
        {
            var purchases = new Purchase[Offsets[i + 1] - Offsets[i]];
            for (var p = 0; p < purchases.Length; p++)
            {
                purchases[p] = new Purchase(new DateTime(Ticks[Offsets[i] + p], DateTimeKind.Utc), Amounts[Offsets[i] + p]);
            }

            histories.Add(new CustomerHistory(CustomerIds[i], purchases));
        }

        return histories;
    }
}

/// <summary>(x, t_x, T, m, total spend) per customer, without ids: what a population fit needs from a shard.</summary>
public sealed record SummaryColumns(int[] Frequency, double[] Recency, double[] Age, double[] MonetaryValue, double[] TotalSpend)
{
    public int Count => Frequency.Length;

    public static SummaryColumns Of(CustomerSummaries summaries)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        return new SummaryColumns(
            summaries.Frequency.ToArray(), summaries.Recency.ToArray(), summaries.Age.ToArray(), summaries.MonetaryValue.ToArray(), summaries.TotalSpend.ToArray());
    }

    /// <summary>Every shard's columns end to end, in shard order: the population as the fits see it.</summary>
    public static CustomerSummaries Concat(IReadOnlyList<SummaryColumns> shards, DateTime calibrationEndUtc, ClvTimeUnit unit)
    {
        ArgumentNullException.ThrowIfNull(shards);
        var count = shards.Sum(s => s.Count);

        // Ids play no part in a fit; one shared empty string keeps ten million of them at a pointer each.
        var ids = new string[count];
        Array.Fill(ids, string.Empty);
        return CustomerSummaries.FromColumns(
            calibrationEndUtc,
            unit,
            ids,
            [.. shards.SelectMany(s => s.Frequency)],
            [.. shards.SelectMany(s => s.Recency)],
            [.. shards.SelectMany(s => s.Age)],
            [.. shards.SelectMany(s => s.MonetaryValue)],
            [.. shards.SelectMany(s => s.TotalSpend)]);
    }
}
