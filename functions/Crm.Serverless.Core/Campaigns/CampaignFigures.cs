namespace Crm.Serverless.Core.Campaigns;

/// <summary>
/// One group's figures: response rate, revenue per customer (net of refunds) and margin per customer (revenue less the
/// lines' unitCost × units kept), null while <see cref="RespondersWithoutCost"/> responders bought something whose
/// cost is not known: revenue is never shown as margin.
/// </summary>
public sealed record GroupFigures(int Customers, int Responders, double ResponseRate, double Revenue, double RevenuePerCustomer, double? MarginPerCustomer, int RespondersWithoutCost = 0);

/// <summary>
/// What a campaign did, treatment beside control, in the window after its send date. <see cref="ResponseVerdict"/>
/// and <see cref="RevenueVerdict"/> say "too small to tell" (and why) when a group is below
/// <see cref="CampaignFigures.MinimumGroupSize"/> or the 95% interval spans 0; <see cref="MarginNote"/> gives the margin's
/// verdict the same way, or says why there is no margin (unit costs not known).
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

    /// <summary>How margin is measured, for the notes of the report and the CLI.</summary>
    public const string MarginMethod = "margin per customer = revenue less unitCost × units kept over the purchases' lines, shown only when every responder's purchases in the window carry a unitCost on each line";

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
        var margin = UpliftIntervals.WelchMargin(t, c);
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
            margin,
            Verdict(tooSmall, response, "response rate", points: true),
            Verdict(tooSmall, revenue, "revenue per customer", points: false),
            MarginNote(t, c, tooSmall, margin));
    }

    /// <summary>The margin's verdict, or why there is none: which group has responders whose unit costs are unknown.</summary>
    public static string MarginNote(GroupTally treatment, GroupTally control, string? tooSmall, Uplift? margin)
    {
        ArgumentNullException.ThrowIfNull(treatment);
        ArgumentNullException.ThrowIfNull(control);
        if (!treatment.MarginKnown || !control.MarginKnown)
        {
            var missing = string.Join(" and ", new[] { ("treatment", treatment), ("control", control) }
                .Where(g => !g.Item2.MarginKnown)
                .Select(g => Inv($"{g.Item2.RespondersWithoutCost:N0} of the {g.Item2.Responders:N0} {g.Item1} responders")));
            return $"margin unknown: {missing} bought without a unitCost on every line (send unitCost with the lines); revenue is not shown as margin";
        }

        return Verdict(tooSmall, margin, "margin per customer", points: false);
    }

    private static string Inv(FormattableString text) => text.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static GroupFigures Figures(GroupTally g) => new(
        g.Customers,
        g.Responders,
        g.Customers == 0 ? 0 : (double)g.Responders / g.Customers,
        Math.Round(g.Revenue, 2),
        g.Customers == 0 ? 0 : g.Revenue / g.Customers,
        g.MarginKnown ? (g.Customers == 0 ? 0 : g.Margin / g.Customers) : null,
        g.RespondersWithoutCost);

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
