using Crm.Serverless.Core.Domain;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Core.Scoring;

/// <summary>
/// How the run's churn probability differs for customers with open complaints: the scored customers with a churn
/// probability, split by whether they had a complaint made by the as-of day and not resolved by its end. Sums, so
/// shards add up; the report shows the means. Counts only: no customer id.
/// </summary>
public sealed record ComplaintChurn(int WithOpen, double ChurnWithOpen, int WithoutOpen, double ChurnWithoutOpen)
{
    public double? MeanWithOpen => WithOpen == 0 ? null : ChurnWithOpen / WithOpen;

    public double? MeanWithoutOpen => WithoutOpen == 0 ? null : ChurnWithoutOpen / WithoutOpen;

    /// <summary>One shard: its customers' events (any order) and every score it computed.</summary>
    public static ComplaintChurn Of(IReadOnlyDictionary<string, IReadOnlyList<InteractionEvent>> interactions, IReadOnlyList<CustomerScore> scores, DateOnly asOf)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        ArgumentNullException.ThrowIfNull(scores);
        var endOfDay = asOf.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc);
        int withOpen = 0, withoutOpen = 0;
        double churnWithOpen = 0, churnWithoutOpen = 0;
        foreach (var score in scores)
        {
            if (score.ChurnProbability is not { } churn)
            {
                continue;
            }

            if (interactions.TryGetValue(score.CustomerId, out var events) && events.Any(e => IsOpen(e, endOfDay)))
            {
                withOpen++;
                churnWithOpen += churn;
            }
            else
            {
                withoutOpen++;
                churnWithoutOpen += churn;
            }
        }

        return new ComplaintChurn(withOpen, churnWithOpen, withoutOpen, churnWithoutOpen);
    }

    public static ComplaintChurn Merge(IReadOnlyList<ComplaintChurn> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        return new ComplaintChurn(parts.Sum(p => p.WithOpen), parts.Sum(p => p.ChurnWithOpen), parts.Sum(p => p.WithoutOpen), parts.Sum(p => p.ChurnWithoutOpen));
    }

    /// <summary>A complaint made by the end of the as-of day and not resolved by then (a backfill sees it as it stood).</summary>
    public static bool IsOpen(InteractionEvent interaction, DateTime endOfDayUtc)
        => interaction.Type == InteractionType.Complaint
            && interaction.TimestampUtc <= endOfDayUtc
            && (interaction.ResolvedUtc is not { } resolved || resolved > endOfDayUtc);
}
