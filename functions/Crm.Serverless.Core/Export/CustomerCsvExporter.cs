using System.Globalization;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Core.Export;

/// <summary>
/// CSV for marketing tools: every customer with the 360-degree fields and the current run's scores (joined partition
/// by partition, so memory stays at one shard), or one segment's customers with their scores only. Both read the run
/// the current-run pointer names, once, so a run published mid-export does not mix two runs, and both end with the
/// interaction columns (<see cref="InteractionColumns"/>), empty for a customer without interactions.
/// </summary>
public sealed class CustomerCsvExporter(CustomerReader reader, SegmentReader segments, RunStore runs, CrmTables tables, Ingestion.StoreCurrency storeCurrency, InteractionReader interactions, TimeProvider clock)
{
    /// <summary>Where staged CSVs wait to be sent (<see cref="StageSegmentAsync"/>); older ones are swept by <see cref="RunPublisher.PruneAsync"/>.</summary>
    public const string StagingPrefix = "exports/";

    public static readonly string[] ContactColumns =
    [
        "customerId", "email", "firstName", "lastName", "country", "marketingConsent",
        "purchaseCount", "totalSpend", "averageSpend", "currency", "firstPurchaseAt", "lastPurchaseAt", "lastTransactionId", "lastAmount",
        "grossSpend", "refunds",
    ];

    public static readonly string[] ScoreColumns =
    [
        "asOf", "churnProbability", "purchaseProbability", "clv", "pAlive", "expectedPurchases", "expectedAverageSpend", "nextPurchaseAt",
        "recency", "frequency", "monetary", "segment", "valueTier", "churnRiskTier", "topChurnFactor",
        "churnModelVersion", "purchaseModelVersion",
    ];

    /// <summary>
    /// Last contacts, 90-day counts, open complaints, last rating and the channel to pick (<see cref="ChannelAffinity"/>:
    /// the channel with most weighted inbound responses, and its share of them; empty below 3 inbound interactions).
    /// </summary>
    public static readonly string[] InteractionColumns =
    [
        "lastContactAt", "lastInboundAt", "lastOutboundAt", "interactions90d", "complaints90d", "openComplaints", "lastRating",
        "channelAffinity", "channelAffinityShare",
    ];

    /// <summary>Point reads per this many segment customers, when the store has interactions at all.</summary>
    private const int SegmentChunk = 100;

    /// <param name="marketableOnly">Only customers whose marketing consent is true now.</param>
    public async Task<int> WriteAllAsync(TextWriter writer, CancellationToken cancellationToken, bool marketableOnly = false)
    {
        ArgumentNullException.ThrowIfNull(writer);
        await writer.WriteLineAsync(string.Join(',', ContactColumns.Concat(ScoreColumns).Concat(InteractionColumns)));
        var rows = 0;
        var currency = await storeCurrency.GetAsync(cancellationToken) ?? "";
        var runId = await runs.GetCurrentRunIdAsync(cancellationToken);
        var hasInteractions = await interactions.AnyAsync(cancellationToken);
        var asOf = clock.GetUtcNow();
        for (var shard = 0; shard < CrmKeys.ShardCount; shard++)
        {
            var partition = CrmKeys.Partition(shard);
            var scores = runId is null ? [] : await reader.ReadScoresAsync(runId, shard, cancellationToken);
            var summaries = hasInteractions ? await interactions.ReadSummariesAsync(partition, cancellationToken) : [];
            await foreach (var customer in reader.ScanPartitionAsync(partition, cancellationToken))
            {
                if (marketableOnly && customer.MarketingConsent != true)
                {
                    continue;
                }

                var view = EntityMapper.ToView(customer, currency, scores.GetValueOrDefault(customer.CustomerId));
                await writer.WriteLineAsync(string.Join(',', ContactFields(view).Concat(ScoreFields(view.Scores)).Concat(InteractionFields(summaries.GetValueOrDefault(customer.CustomerId), asOf)).Select(Escape)));
                rows++;
            }
        }

        return rows;
    }

    /// <summary>
    /// One segment's customers with their scores and their consent as stored now (not as of the run).
    /// </summary>
    /// <returns>Rows written, or -1 when there is no complete run yet.</returns>
    public async Task<int> WriteSegmentAsync(TextWriter writer, string segment, CancellationToken cancellationToken, bool marketableOnly = false)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var run = await segments.GetLatestRunAsync(cancellationToken);
        if (run is null)
        {
            return -1;
        }

        await writer.WriteLineAsync(string.Join(',', ScoreColumns.Prepend("marketingConsent").Prepend("customerId").Concat(InteractionColumns)));
        var rows = 0;
        var hasInteractions = await interactions.AnyAsync(cancellationToken);
        var asOf = clock.GetUtcNow();
        var chunk = new List<CustomerScore>(SegmentChunk);
        await foreach (var score in segments.StreamWithConsentAsync(run, segment, marketableOnly, cancellationToken))
        {
            chunk.Add(score);
            if (chunk.Count == SegmentChunk)
            {
                rows += await WriteSegmentRowsAsync(writer, chunk, hasInteractions, asOf, cancellationToken);
            }
        }

        return rows + await WriteSegmentRowsAsync(writer, chunk, hasInteractions, asOf, cancellationToken);
    }

    private async Task<int> WriteSegmentRowsAsync(TextWriter writer, List<CustomerScore> chunk, bool hasInteractions, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        var summaries = hasInteractions && chunk.Count > 0 ? await interactions.ReadSummariesAsync([.. chunk.Select(s => s.CustomerId)], cancellationToken) : [];
        foreach (var score in chunk)
        {
            var consent = score.MarketingConsent?.ToString(CultureInfo.InvariantCulture).ToLowerInvariant();
            await writer.WriteLineAsync(string.Join(',', ScoreFields(score).Prepend(consent).Prepend(score.CustomerId).Concat(InteractionFields(summaries.GetValueOrDefault(score.CustomerId), asOf)).Select(Escape)));
        }

        var written = chunk.Count;
        chunk.Clear();
        return written;
    }

    private static IEnumerable<string?> InteractionFields(InteractionSummaryEntity? row, DateTimeOffset asOf)
    {
        if (row is null)
        {
            return InteractionColumns.Select(_ => (string?)null);
        }

        var summary = row.ToSummary(asOf);
        return
        [
            summary.LastContactAt?.ToString("O", CultureInfo.InvariantCulture),
            summary.LastInboundAt?.ToString("O", CultureInfo.InvariantCulture),
            summary.LastOutboundAt?.ToString("O", CultureInfo.InvariantCulture),
            summary.Last90DaysByChannel.Values.Sum().ToString(CultureInfo.InvariantCulture),
            summary.Last90DaysByType[InteractionNames.Name(Ml.Data.InteractionType.Complaint)].ToString(CultureInfo.InvariantCulture),
            summary.OpenComplaints.ToString(CultureInfo.InvariantCulture),
            summary.LastRating?.ToString(CultureInfo.InvariantCulture),
            summary.ChannelAffinity?.Channel,
            Number(summary.ChannelAffinity?.Share),
        ];
    }

    /// <summary>
    /// The segment CSV written whole to a blob before anything is sent, so a caller can answer 200 with its exact
    /// Content-Length, and a failure while reading the scores surfaces as an error instead of a 200 cut short. The
    /// blob holds personal data: dispose the result once sent (a crash leaves it to the next prune's sweep).
    /// </summary>
    /// <returns>The staged CSV, or null when there is no complete run yet.</returns>
    public async Task<StagedCsv?> StageSegmentAsync(string segment, bool marketableOnly, CancellationToken cancellationToken)
    {
        var blob = tables.RunResults.GetBlobClient($"{StagingPrefix}{Guid.NewGuid():N}.csv");
        try
        {
            int rows;
            await using (var stream = await blob.OpenWriteAsync(overwrite: true, cancellationToken: cancellationToken))
            await using (var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 64 * 1024))
            {
                rows = await WriteSegmentAsync(writer, segment, cancellationToken, marketableOnly);
            }

            if (rows < 0)
            {
                await blob.DeleteIfExistsAsync(cancellationToken: cancellationToken);
                return null;
            }

            var properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
            return new StagedCsv(blob, properties.Value.ContentLength, rows);
        }
        catch
        {
            await blob.DeleteIfExistsAsync(cancellationToken: CancellationToken.None);
            throw;
        }
    }

    private static IEnumerable<string?> ContactFields(CustomerView view)
    {
        var contact = view.Contact;
        var purchases = view.Purchases;
        return
        [
            view.CustomerId, contact?.Email, contact?.FirstName, contact?.LastName, contact?.Country,
            contact?.MarketingConsent?.ToString(CultureInfo.InvariantCulture).ToLowerInvariant(),
            purchases.Count.ToString(CultureInfo.InvariantCulture),
            purchases.TotalSpend.ToString(CultureInfo.InvariantCulture),
            purchases.AverageSpend?.ToString(CultureInfo.InvariantCulture),
            purchases.Currency,
            purchases.FirstPurchaseAt?.ToString("O", CultureInfo.InvariantCulture),
            purchases.LastPurchase?.At.ToString("O", CultureInfo.InvariantCulture),
            purchases.LastPurchase?.TransactionId,
            purchases.LastPurchase?.Amount.ToString(CultureInfo.InvariantCulture),
            purchases.GrossSpend.ToString(CultureInfo.InvariantCulture),
            purchases.Refunds.ToString(CultureInfo.InvariantCulture),
        ];
    }

    private static IEnumerable<string?> ScoreFields(CustomerScore? score) => score is null
        ? ScoreColumns.Select(_ => (string?)null)
        :
        [
            score.AsOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            Number(score.ChurnProbability),
            Number(score.PurchaseProbability),
            Number(Math.Round(score.Clv, 2)),
            Number(score.ProbabilityAlive),
            Number(score.ExpectedPurchases),
            Number(Math.Round(score.ExpectedAverageSpend, 2)),
            score.NextPurchaseAt?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            score.Recency.ToString(CultureInfo.InvariantCulture),
            score.Frequency.ToString(CultureInfo.InvariantCulture),
            score.Monetary.ToString(CultureInfo.InvariantCulture),
            score.Segment,
            score.ValueTier,
            score.ChurnRiskTier,
            score.ChurnFactors.Count == 0 ? null : score.ChurnFactors[0].Feature,
            score.ChurnModelVersion,
            score.PurchaseModelVersion,
        ];

    private static string? Number(double? value) => value?.ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>RFC 4180 quoting, plus a leading quote for cells a spreadsheet would run as a formula.</summary>
    public static string Escape(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@' && !decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out _))
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
