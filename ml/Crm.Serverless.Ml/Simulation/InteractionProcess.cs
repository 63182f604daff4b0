using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Simulation;

/// <summary>
/// One customer's contacts with the shop over the weeks they buy: complaints (some resolved, some never) and
/// ratings after purchases, either of which may end the customer at once with the options' churn chances, inquiries,
/// and marketing e-mails that keep coming after the customer has gone. Not thread-safe: one seeded stream.
/// </summary>
internal sealed class InteractionProcess(InteractionSimulationOptions options, ShopSimulationOptions shop, Random random)
{
    private const double DaysPerWeek = 7;

    private readonly double[] _channelCumulative = Cumulative(options.ChannelWeights);

    /// <param name="firstWeek">The customer's first purchase, in weeks from the shop's start.</param>
    /// <param name="endWeek">When the BG/NBD process ends the customer (the dropout purchase, or the end of observation).</param>
    /// <returns>The interactions oldest first, and when a contact ended the customer (null when none did).</returns>
    public (IReadOnlyList<InteractionEvent> Events, DateTime? LeftAt) Simulate(double firstWeek, double endWeek, IReadOnlyList<Purchase> purchases)
    {
        var events = new List<InteractionEvent>();
        var end = Math.Min(endWeek, shop.ObservationWeeks);

        // Complaints and ratings in time order: the first that ends the customer ends every later draw too.
        var service = new List<(double Week, bool Complaint)>();
        for (var week = NextArrival(firstWeek, options.ComplaintsPerWeek); week <= end; week = NextArrival(week, options.ComplaintsPerWeek))
        {
            service.Add((week, true));
        }

        foreach (var purchase in purchases)
        {
            if (random.NextDouble() < options.RatingShare)
            {
                var week = Weeks(purchase.TimestampUtc) + (Exponential(3) / DaysPerWeek);
                if (week <= end)
                {
                    service.Add((week, false));
                }
            }
        }

        service.Sort(static (x, y) => x.Week.CompareTo(y.Week));
        double? leftWeek = null;
        foreach (var (week, complaint) in service)
        {
            var at = ShopSimulator.ToDate(shop.Start, week);
            double churn;
            if (complaint)
            {
                var resolved = random.NextDouble() < options.ResolvedShare;
                events.Add(new InteractionEvent(
                    at, Channel(), Inbound: true, InteractionType.Complaint,
                    ResolvedUtc: resolved ? at.AddDays(Exponential(options.MeanResolutionDays)) : null));
                churn = resolved ? options.ChurnAfterResolvedComplaint : options.ChurnAfterUnresolvedComplaint;
            }
            else
            {
                var low = random.NextDouble() < options.LowRatingShare;
                var rating = low ? 1 + random.Next(2) : 3 + random.Next(3);
                events.Add(new InteractionEvent(at, random.NextDouble() < 0.5 ? InteractionChannel.Web : InteractionChannel.Email, Inbound: true, InteractionType.Feedback, Rating: rating));
                churn = low ? options.ChurnAfterLowRating : 0;
            }

            if (random.NextDouble() < churn)
            {
                leftWeek = week;
                break;
            }
        }

        var activeEnd = leftWeek ?? end;
        for (var week = NextArrival(firstWeek, options.InquiriesPerWeek); week <= activeEnd; week = NextArrival(week, options.InquiriesPerWeek))
        {
            var type = random.NextDouble() switch
            {
                < 0.5 => InteractionType.Inquiry,
                < 0.8 => InteractionType.Support,
                _ => InteractionType.OrderRelated,
            };
            events.Add(new InteractionEvent(ShopSimulator.ToDate(shop.Start, week), Channel(), Inbound: true, type));
        }

        // The shop keeps mailing a consenting customer until the end of observation: it cannot know they have gone.
        if (options.MarketingEveryWeeks > 0 && random.NextDouble() < options.MarketingConsentShare)
        {
            var campaign = (int)Math.Ceiling(firstWeek / options.MarketingEveryWeeks);
            for (var week = campaign * options.MarketingEveryWeeks; week <= shop.ObservationWeeks; week += options.MarketingEveryWeeks, campaign++)
            {
                if (week > firstWeek)
                {
                    events.Add(new InteractionEvent(
                        ShopSimulator.ToDate(shop.Start, week), InteractionChannel.Email, Inbound: false, InteractionType.Marketing,
                        CampaignId: "M" + campaign.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }
            }
        }

        events.Sort(static (x, y) => x.TimestampUtc.CompareTo(y.TimestampUtc));
        return (events, leftWeek is { } w ? ShopSimulator.ToDate(shop.Start, w) : null);
    }

    private double Weeks(DateTime at) => (at - shop.Start).TotalDays / DaysPerWeek;

    private double NextArrival(double week, double ratePerWeek)
        => ratePerWeek <= 0 ? double.PositiveInfinity : week + (-Math.Log(1 - random.NextDouble()) / ratePerWeek);

    private double Exponential(double mean) => -Math.Log(1 - random.NextDouble()) * mean;

    private InteractionChannel Channel()
    {
        var u = random.NextDouble() * _channelCumulative[^1];
        var channel = Array.FindIndex(_channelCumulative, c => u < c);
        return (InteractionChannel)(channel < 0 ? _channelCumulative.Length - 1 : channel);
    }

    private static double[] Cumulative(IReadOnlyList<double> weights)
    {
        if (weights.Count != Enum.GetValues<InteractionChannel>().Length || weights.Any(w => w < 0) || weights.Sum() <= 0)
        {
            throw new ArgumentException("Channel weights need one non-negative weight per channel, not all zero.", nameof(weights));
        }

        var cumulative = new double[weights.Count];
        var sum = 0.0;
        for (var i = 0; i < weights.Count; i++)
        {
            sum += weights[i];
            cumulative[i] = sum;
        }

        return cumulative;
    }
}
