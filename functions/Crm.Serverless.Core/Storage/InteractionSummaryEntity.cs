using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// A customer's interaction aggregates, row key <c>{customerId}|</c> in the Interactions table: written only in the
/// same entity-group transaction as the interaction rows it counts, guarded by its ETag, so it always equals a
/// recount of them.
/// <para>
/// "Last 90 days" stays true without a nightly rewrite because the row keeps day buckets, not a running 90-day
/// total: <see cref="DaysJson"/> holds per UTC day the interactions per channel and type. A write recomputes the
/// buckets and drops days older than 90 days before its own time; a read sums only the 90 days ending on the day
/// it asks about. A day dropped at write time is one no later read would sum, so a read on any later day equals a
/// recount of the stored interactions on that day. At most 90 buckets of 14 small numbers: a few kB.
/// </para>
/// </summary>
public sealed class InteractionSummaryEntity : ITableEntity
{
    public const int WindowDays = 90;

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string CustomerId { get; set; } = "";
    public int Count { get; set; }
    public DateTimeOffset? LastInboundAt { get; set; }
    public DateTimeOffset? LastOutboundAt { get; set; }
    public int OpenComplaints { get; set; }
    public int? LastRating { get; set; }
    public DateTimeOffset? LastRatingAt { get; set; }

    /// <summary>All-time counts per channel (in <see cref="InteractionChannel"/> order): {"inbound":[..],"attributed":[..],"outbound":[..]}.</summary>
    public string TotalsJson { get; set; } = "{}";

    /// <summary>{"yyyy-MM-dd": [7 channel counts, 7 type counts]} for the days of the window at write time.</summary>
    public string DaysJson { get; set; } = "{}";

    /// <summary>The write time the buckets were pruned at.</summary>
    public DateTimeOffset WrittenAt { get; set; }

    public static readonly string[] Columns =
    [
        "RowKey", nameof(CustomerId), nameof(Count), nameof(LastInboundAt), nameof(LastOutboundAt), nameof(OpenComplaints),
        nameof(LastRating), nameof(LastRatingAt), nameof(TotalsJson), nameof(DaysJson), nameof(WrittenAt),
    ];

    private static readonly int Channels = InteractionNames.Channels.Count;
    private static readonly int Types = InteractionNames.Types.Count;

    /// <summary>The aggregates of every stored interaction of one customer, as written at <paramref name="writtenAt"/>.</summary>
    public static InteractionSummaryEntity Compute(string customerId, IEnumerable<Interaction> interactions, DateTimeOffset writtenAt)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        var summary = new InteractionSummaryEntity
        {
            PartitionKey = CrmKeys.PartitionOf(customerId),
            RowKey = CrmKeys.CustomerRow(customerId),
            CustomerId = customerId,
            WrittenAt = writtenAt,
        };
        var totals = new Totals { Inbound = new int[Channels], Attributed = new int[Channels], Outbound = new int[Channels] };
        var days = new SortedDictionary<string, int[]>(StringComparer.Ordinal);
        var firstDay = FirstDayOfWindow(writtenAt);
        string? lastRatingId = null;
        foreach (var interaction in interactions)
        {
            summary.Count++;
            var at = interaction.Timestamp.ToUniversalTime();
            var channel = (int)interaction.Channel;
            if (interaction.Inbound)
            {
                summary.LastInboundAt = Later(summary.LastInboundAt, at);
                totals.Inbound[channel]++;
                if (interaction.CampaignId is not null || interaction.Type == InteractionType.OrderRelated)
                {
                    totals.Attributed[channel]++;
                }
            }
            else
            {
                summary.LastOutboundAt = Later(summary.LastOutboundAt, at);
                totals.Outbound[channel]++;
            }

            if (interaction.IsOpenComplaint)
            {
                summary.OpenComplaints++;
            }

            // The rating of the latest rated interaction; the larger id breaks a tie, so the order read never matters.
            if (interaction.Rating is { } rating
                && (summary.LastRatingAt is not { } ratedAt || at > ratedAt || (at == ratedAt && string.CompareOrdinal(interaction.InteractionId, lastRatingId) > 0)))
            {
                (summary.LastRating, summary.LastRatingAt, lastRatingId) = (rating, at, interaction.InteractionId);
            }

            var day = DateOnly.FromDateTime(at.UtcDateTime);
            if (day >= firstDay)
            {
                var key = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                if (!days.TryGetValue(key, out var bucket))
                {
                    bucket = new int[Channels + Types];
                    days[key] = bucket;
                }

                bucket[channel]++;
                bucket[Channels + (int)interaction.Type]++;
            }
        }

        summary.TotalsJson = JsonSerializer.Serialize(totals, Json);
        summary.DaysJson = JsonSerializer.Serialize(days, Json);
        return summary;
    }

    /// <summary>The aggregates as of <paramref name="asOf"/> (on or after <see cref="WrittenAt"/>'s day).</summary>
    public InteractionSummary ToSummary(DateTimeOffset asOf)
    {
        var totals = JsonSerializer.Deserialize<Totals>(TotalsJson, Json) ?? new Totals();
        var days = JsonSerializer.Deserialize<Dictionary<string, int[]>>(DaysJson, Json) ?? [];
        var firstDay = FirstDayOfWindow(asOf);
        var window = new int[Channels + Types];
        foreach (var (key, bucket) in days)
        {
            if (DateOnly.ParseExact(key, "yyyy-MM-dd", CultureInfo.InvariantCulture) >= firstDay)
            {
                for (var i = 0; i < window.Length && i < bucket.Length; i++)
                {
                    window[i] += bucket[i];
                }
            }
        }

        var inbound = Pad(totals.Inbound, Channels);
        return new InteractionSummary(
            Count,
            LastInboundAt,
            LastOutboundAt,
            OpenComplaints,
            LastRating,
            LastRatingAt,
            InteractionNames.Channels.ToDictionary(InteractionNames.Name, c => window[(int)c], StringComparer.Ordinal),
            InteractionNames.Types.ToDictionary(InteractionNames.Name, t => window[Channels + (int)t], StringComparer.Ordinal),
            InteractionNames.Channels.ToDictionary(InteractionNames.Name, c => inbound[(int)c], StringComparer.Ordinal),
            Affinity(inbound, Pad(totals.Attributed, Channels)));
    }

    /// <summary>See <see cref="ChannelAffinity"/>: weighted responses per channel; a tie goes to the channel listed first.</summary>
    public static ChannelAffinity? Affinity(int[] inbound, int[] attributed)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        ArgumentNullException.ThrowIfNull(attributed);
        var responses = inbound.Sum();
        if (responses < ChannelAffinity.MinResponses)
        {
            return null;
        }

        var weights = inbound.Select((count, c) => count + attributed[c]).ToArray();
        var best = Array.IndexOf(weights, weights.Max());
        return new ChannelAffinity(InteractionNames.Name((InteractionChannel)best), Math.Round((double)weights[best] / weights.Sum(), 4), inbound[best]);
    }

    /// <summary>The first day of the 90 UTC days ending on <paramref name="asOf"/>'s day.</summary>
    public static DateOnly FirstDayOfWindow(DateTimeOffset asOf) => DateOnly.FromDateTime(asOf.UtcDateTime).AddDays(1 - WindowDays);

    private static DateTimeOffset Later(DateTimeOffset? current, DateTimeOffset candidate) => current is { } value && value >= candidate ? value : candidate;

    private static int[] Pad(int[]? counts, int length) => counts is { } c && c.Length == length ? c : [.. Enumerable.Range(0, length).Select(i => counts is not null && i < counts.Length ? counts[i] : 0)];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed class Totals
    {
        public int[]? Inbound { get; set; }

        public int[]? Attributed { get; set; }

        public int[]? Outbound { get; set; }
    }
}
