using Crm.Serverless.Core.Domain;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Core.Scoring;

/// <summary>
/// The run report's interaction figures, one run artefact (<c>{runId}/interactions.json</c>): interactions per
/// channel per week over the <see cref="Weeks"/> weeks ending on the as-of day, and per segment the share of its
/// customers with a complaint in the 90 days ending then, and the churn probability of customers with and without
/// open complaints. Counts only: no subject, no customer id.
/// A shard's figures and the whole run's have the same shape: stage 3 summarises each shard, stage 4 merges them.
/// </summary>
/// <param name="FirstWeek">Week <c>i</c> covers the seven days from <c>FirstWeek + 7i</c>; the last one ends on <paramref name="AsOf"/>.</param>
/// <param name="OpenComplaints">Churn by open complaints; null in figures stored before it was counted.</param>
public sealed record InteractionActivity(
    DateOnly AsOf,
    DateOnly FirstWeek,
    long Interactions,
    int CustomersWithInteractions,
    IReadOnlyList<ChannelWeeks> ByChannel,
    IReadOnlyList<SegmentComplaints> Segments,
    ComplaintChurn? OpenComplaints = null)
{
    public const int Weeks = 26;
    public const int ComplaintDays = 90;

    public static DateOnly FirstWeekOf(DateOnly asOf) => asOf.AddDays(1 - 7 * Weeks);

    /// <summary>One shard's figures: its customers' interactions and every customer it scored (segment, churn probability).</summary>
    public static InteractionActivity Summarise(
        IReadOnlyDictionary<string, IReadOnlyList<InteractionEvent>> interactions,
        IReadOnlyList<CustomerScore> scores,
        DateOnly asOf)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        ArgumentNullException.ThrowIfNull(scores);
        var segmentOf = scores.ToDictionary(s => s.CustomerId, s => s.Segment, StringComparer.Ordinal);
        var firstWeek = FirstWeekOf(asOf);
        var firstComplaintDay = asOf.AddDays(1 - ComplaintDays);
        var weeks = InteractionNames.Channels.Select(_ => new int[Weeks]).ToArray();
        long total = 0;
        var complaintsOf = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (customerId, events) in interactions)
        {
            foreach (var e in events)
            {
                total++;
                var day = DateOnly.FromDateTime(e.TimestampUtc);
                var week = (day.DayNumber - firstWeek.DayNumber) / 7;
                if (day >= firstWeek && day <= asOf)
                {
                    weeks[(int)e.Channel][week]++;
                }

                if (e.Type == InteractionType.Complaint && day >= firstComplaintDay && day <= asOf)
                {
                    complaintsOf[customerId] = complaintsOf.GetValueOrDefault(customerId) + 1;
                }
            }
        }

        var segments = segmentOf
            .GroupBy(pair => pair.Value, StringComparer.Ordinal)
            .Select(g => new SegmentComplaints(
                g.Key,
                g.Count(),
                g.Count(pair => complaintsOf.ContainsKey(pair.Key)),
                g.Sum(pair => complaintsOf.GetValueOrDefault(pair.Key))))
            .ToList();
        return new InteractionActivity(
            asOf,
            firstWeek,
            total,
            interactions.Count(pair => pair.Value.Count > 0),
            [.. InteractionNames.Channels.Select(c => new ChannelWeeks(InteractionNames.Name(c), weeks[(int)c]))],
            [.. segments.OrderBy(s => s.Segment, StringComparer.Ordinal)],
            ComplaintChurn.Of(interactions, scores, asOf));
    }

    /// <summary>Adds up shards' figures (all of the same as-of day).</summary>
    public static InteractionActivity Merge(IReadOnlyList<InteractionActivity> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0)
        {
            throw new ArgumentException("Nothing to merge.", nameof(parts));
        }

        var first = parts[0];
        return new InteractionActivity(
            first.AsOf,
            first.FirstWeek,
            parts.Sum(p => p.Interactions),
            parts.Sum(p => p.CustomersWithInteractions),
            [.. first.ByChannel.Select((channel, c) => new ChannelWeeks(
                channel.Channel,
                [.. Enumerable.Range(0, channel.Counts.Count).Select(week => parts.Sum(p => p.ByChannel[c].Counts[week]))]))],
            [.. parts.SelectMany(p => p.Segments)
                .GroupBy(s => s.Segment, StringComparer.Ordinal)
                .Select(g => new SegmentComplaints(g.Key, g.Sum(s => s.Customers), g.Sum(s => s.WithComplaint), g.Sum(s => s.Complaints)))
                .OrderBy(s => s.Segment, StringComparer.Ordinal)],
            parts.All(p => p.OpenComplaints is not null) ? ComplaintChurn.Merge([.. parts.Select(p => p.OpenComplaints!)]) : null);
    }
}

/// <summary>Interactions on one channel per week, oldest week first.</summary>
public sealed record ChannelWeeks(string Channel, IReadOnlyList<int> Counts);

/// <param name="WithComplaint">Customers of the segment with at least one complaint in the 90 days.</param>
/// <param name="Complaints">Complaints in the 90 days by the segment's customers.</param>
public sealed record SegmentComplaints(string Segment, int Customers, int WithComplaint, int Complaints)
{
    public double Rate => Customers == 0 ? 0 : (double)WithComplaint / Customers;
}
