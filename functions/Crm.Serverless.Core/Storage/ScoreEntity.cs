using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// A customer's scores in one run, in that run's own table: the customer row (keys as in <see cref="CrmKeys"/>) and
/// its copy in the segment's partition (<see cref="ForSegment"/>); layout in <see cref="RunScoreKeys"/>.
/// </summary>
public sealed class ScoreEntity : ITableEntity
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string CustomerId { get; set; } = "";
    public string RunId { get; set; } = "";
    public string AsOf { get; set; } = "";
    public double? ChurnProbability { get; set; }
    public double? PurchaseProbability { get; set; }
    public string? ChurnFactorsJson { get; set; }
    public double ProbabilityAlive { get; set; }
    public double ExpectedPurchases { get; set; }
    public double ExpectedAverageSpend { get; set; }
    public double Clv { get; set; }
    public DateTimeOffset? NextPurchaseAt { get; set; }
    public int Recency { get; set; }
    public int Frequency { get; set; }
    public int Monetary { get; set; }
    public string Segment { get; set; } = "";
    public string ValueTier { get; set; } = "";
    public string ChurnRiskTier { get; set; } = "";
    public string? ChurnModelVersion { get; set; }
    public string? PurchaseModelVersion { get; set; }

    public static ScoreEntity From(CustomerScore score)
    {
        ArgumentNullException.ThrowIfNull(score);
        return new ScoreEntity
        {
            PartitionKey = CrmKeys.PartitionOf(score.CustomerId),
            RowKey = CrmKeys.CustomerRow(score.CustomerId),
            CustomerId = score.CustomerId,
            RunId = score.RunId,
            AsOf = score.AsOf.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            ChurnProbability = score.ChurnProbability,
            PurchaseProbability = score.PurchaseProbability,
            ChurnFactorsJson = score.ChurnFactors.Count == 0 ? null : JsonSerializer.Serialize(score.ChurnFactors, Json),
            ProbabilityAlive = score.ProbabilityAlive,
            ExpectedPurchases = score.ExpectedPurchases,
            ExpectedAverageSpend = score.ExpectedAverageSpend,
            Clv = score.Clv,
            NextPurchaseAt = score.NextPurchaseAt is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null,
            Recency = score.Recency,
            Frequency = score.Frequency,
            Monetary = score.Monetary,
            Segment = score.Segment,
            ValueTier = score.ValueTier,
            ChurnRiskTier = score.ChurnRiskTier,
            ChurnModelVersion = score.ChurnModelVersion,
            PurchaseModelVersion = score.PurchaseModelVersion,
        };
    }

    /// <summary>The same row in its segment's partition for the customer's shard, where segment pages read it by key.</summary>
    public static ScoreEntity ForSegment(CustomerScore score)
    {
        var entity = From(score);
        entity.PartitionKey = RunScoreKeys.SegmentPartition(score.Segment, CrmKeys.ShardOf(score.CustomerId));
        return entity;
    }

    public CustomerScore ToScore() => new(
        CustomerId,
        RunId,
        DateOnly.ParseExact(AsOf, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        ChurnProbability,
        PurchaseProbability,
        ChurnFactorsJson is null ? [] : JsonSerializer.Deserialize<List<ScoreFactor>>(ChurnFactorsJson, Json)!,
        ProbabilityAlive,
        ExpectedPurchases,
        ExpectedAverageSpend,
        Clv,
        NextPurchaseAt?.UtcDateTime,
        Recency,
        Frequency,
        Monetary,
        Segment,
        ValueTier,
        ChurnRiskTier,
        // Rows written before scores named their models carry none.
        ChurnModelVersion ?? "",
        PurchaseModelVersion ?? "");
}
