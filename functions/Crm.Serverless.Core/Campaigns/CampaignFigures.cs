namespace Crm.Serverless.Core.Campaigns;

/// <summary>One group's figures: response rate, revenue per customer (net of refunds) and margin per customer when costs are known.</summary>
public sealed record GroupFigures(int Customers, int Responders, double ResponseRate, double Revenue, double RevenuePerCustomer, double? MarginPerCustomer);

/// <summary>
/// What a campaign did, treatment beside control, in the window after its send date. <see cref="ResponseVerdict"/>
/// and <see cref="RevenueVerdict"/> say "too small to tell" (and why) when a group is below
/// <see cref="CampaignFigures.MinimumGroupSize"/> or the 95% interval spans 0.
/// </summary>
public sealed record CampaignReport(
    string Name,
    string Segment,
    DateTimeOffset SentAt,
    int WindowDays,
    DateTimeOffset WindowEnd,
    DateTimeOffset ObservedUntil,
    bool WindowComplete,
    string Currency,
    GroupFigures Treatment,
    GroupFigures Control,
    Uplift ResponseUplift,
    Uplift? RevenueUplift,
    Uplift? MarginUplift,
    string ResponseVerdict,
    string RevenueVerdict,
    string MarginNote);

public static class CampaignFigures
{
    /// <summary>Below this many members in either group, no uplift is called, whatever the interval says.</summary>
    public const int MinimumGroupSize = 30;

    public const int DefaultWindowDays = 30;

    public const int MaxWindowDays = 365;

    /// <summary>Why there is no margin yet: the purchase rows this build reads carry no unit cost.</summary>
    public const string NoMarginNote = "margin per customer needs purchase lines with unitCost, which this build does not read yet: revenue only";

    /// <summary>The response window: from the send date for <paramref name="windowDays"/> days, cut at what has been observed.</summary>
    public static (DateTime From, DateTime To, DateTimeOffset WindowEnd, bool Complete) Window(Campaign campaign, int windowDays, DateTimeOffset observedUntil)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        var end = campaign.SentAt.AddDays(windowDays);
        var to = end <= observedUntil ? end : observedUntil;
        return (campaign.SentAt.UtcDateTime, to.UtcDateTime, end, end <= observedUntil);
    }

    public static CampaignReport Compute(Campaign campaign, CampaignTally tally, int windowDays, DateTimeOffset observedUntil, string currency)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(tally);
        var (_, _, end, complete) = Window(campaign, windowDays, observedUntil);
        var (t, c) = (tally.Treatment, tally.Control);
        var tooSmall = Smallest(t, c);
        var response = t.Customers > 0 && c.Customers > 0
            ? UpliftIntervals.Newcombe(t.Responders, t.Customers, c.Responders, c.Customers)
            : new Uplift(double.NaN, double.NaN, double.NaN, UpliftIntervals.NewcombeMethod);
        var revenue = UpliftIntervals.Welch(t, c);
        return new CampaignReport(
            campaign.Name,
            campaign.Segment,
            campaign.SentAt,
            windowDays,
            end,
            observedUntil,
            complete,
            currency,
            Figures(t),
            Figures(c),
            response,
            revenue,
            null,
            Verdict(tooSmall, response, "response rate", points: true),
            Verdict(tooSmall, revenue, "revenue per customer", points: false),
            NoMarginNote);
    }

    private static GroupFigures Figures(GroupTally g) => new(
        g.Customers,
        g.Responders,
        g.Customers == 0 ? 0 : (double)g.Responders / g.Customers,
        Math.Round(g.Revenue, 2),
        g.Customers == 0 ? 0 : g.Revenue / g.Customers,
        null);

    private static string? Smallest(GroupTally t, GroupTally c)
    {
        var (group, size) = t.Customers <= c.Customers ? ("treatment", t.Customers) : ("control", c.Customers);
        return size < MinimumGroupSize ? $"too small to tell: the {group} group has {size} customers, fewer than {MinimumGroupSize}" : null;
    }

    private static string Verdict(string? tooSmall, Uplift? uplift, string what, bool points)
    {
        if (tooSmall is not null)
        {
            return tooSmall;
        }

        if (uplift is null || double.IsNaN(uplift.Estimate))
        {
            return $"too small to tell: the {what} does not vary in either group";
        }

        if (uplift.SpansZero)
        {
            return $"too small to tell: the 95% interval of the {what} uplift spans 0";
        }

        var size = points ? $"{uplift.Estimate * 100:+0.0;-0.0} points" : $"{uplift.Estimate:+0.00;-0.00} per customer";
        return uplift.Estimate > 0 ? $"treatment higher: {size}" : $"treatment lower: {size}";
    }
}
