using Crm.Serverless.Core.Domain;

namespace Crm.Serverless.Core.Storage;

/// <summary>Stored interaction rows as the 360 view shows them.</summary>
public static class InteractionViews
{
    /// <summary>The view with its interaction part and the at-a-glance line; <paramref name="newestFirst"/> as <see cref="InteractionReader.ReadCustomerAsync"/> returns them.</summary>
    public static CustomerView Add(CustomerView view, InteractionSummaryEntity? summary, IReadOnlyList<InteractionEntity> newestFirst, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(newestFirst);
        var aggregates = summary?.ToSummary(asOf);
        var last = newestFirst.Count > 0 ? newestFirst[0] : null;
        var glance = new AtAGlance(
            view.Purchases.LastPurchase?.At,
            view.Purchases.LastPurchase?.Amount,
            last?.OccurredAt,
            last?.Channel,
            last?.Direction,
            last?.Type,
            aggregates?.OpenComplaints ?? 0);
        return view with
        {
            Interactions = aggregates is null ? null : new InteractionsView(aggregates, [.. newestFirst.Take(InteractionsView.RecentCount).Select(ToRecord)]),
            Glance = glance,
        };
    }

    public static InteractionRecord ToRecord(InteractionEntity row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return new InteractionRecord(row.InteractionId, row.OccurredAt, row.Channel, row.Direction, row.Type, row.Rating, row.ResolvedAt, row.CampaignId, row.Subject);
    }
}
