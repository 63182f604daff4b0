using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Crm.Serverless.Core.Campaigns;

namespace Crm.Serverless.Reporting;

/// <summary>
/// The run report's Campaigns section: each campaign sent by the run's as-of, treatment beside control, from the
/// run's campaign artefact (<see cref="CampaignRunFigures"/>). Counts and rates only: no customer appears.
/// </summary>
public static class CampaignsSection
{
    public static void Write(StringBuilder html, IReadOnlyList<CampaignReport>? campaigns)
    {
        ArgumentNullException.ThrowIfNull(html);
        if (campaigns is null || campaigns.Count == 0)
        {
            return;
        }

        html.Append("<section id=\"campaigns\">\n<h2>Campaigns</h2>\n<p class=\"note\">")
            .Append(E(Inv($"Each campaign's treatment group against its held-out control, in the {CampaignFigures.DefaultWindowDays} days after the send date (cut at the run's as-of). Uplift = treatment - control with a 95% interval: response rate by {UpliftIntervals.NewcombeMethod}, revenue per customer (net of refunds) by {UpliftIntervals.WelchMethod}. Margin per customer likewise, where {CampaignFigures.MarginMethod}. No uplift is called when a group has fewer than {CampaignFigures.MinimumGroupSize} customers or the interval spans 0.")))
            .Append("</p>\n<table id=\"campaign-table\">\n<thead><tr><th>campaign</th><th>segment</th><th>sent</th><th class=\"n\">treatment</th><th class=\"n\">control</th>")
            .Append("<th class=\"n\">response T / C</th><th class=\"n\">uplift (points)</th><th class=\"n\">revenue per customer T / C</th><th class=\"n\">uplift</th><th class=\"n\">margin per customer T / C</th><th class=\"n\">uplift</th><th>verdict</th></tr></thead>\n<tbody>\n");
        foreach (var c in campaigns)
        {
            html.Append("<tr data-campaign=\"").Append(E(c.Name)).Append("\"><td>").Append(E(c.Name)).Append("</td><td>").Append(E(c.Segment)).Append("</td><td>")
                .Append(E(Inv($"{c.SentAt.UtcDateTime:yyyy-MM-dd}{(c.WindowComplete ? "" : " (window open)")}"))).Append("</td>")
                .Append(Num(Inv($"{c.Treatment.Customers:N0}"))).Append(Num(Inv($"{c.Control.Customers:N0}")))
                .Append(Num(Inv($"{c.Treatment.ResponseRate:0.0%} / {c.Control.ResponseRate:0.0%}")))
                .Append(Num(Interval(c.ResponseUplift, 100, "0.0")))
                .Append(Num(Inv($"{c.Treatment.RevenuePerCustomer:N2} / {c.Control.RevenuePerCustomer:N2} {c.Currency}")))
                .Append(Num(Interval(c.RevenueUplift, 1, "0.00")))
                .Append(Num(Inv($"{Margin(c.Treatment)} / {Margin(c.Control)} {c.Currency}")))
                .Append(Num(Interval(c.MarginUplift, 1, "0.00")))
                .Append("<td>").Append(E(c.ResponseVerdict)).Append("; ").Append(E(c.RevenueVerdict)).Append("; ").Append(E(c.MarginNote)).Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n</section>\n");
    }

    /// <summary>"unknown" when unit costs are missing: revenue is never shown as margin.</summary>
    private static string Margin(GroupFigures group) => group.MarginPerCustomer is { } margin ? Inv($"{margin:N2}") : "unknown";

    private static string Interval(Uplift? uplift, double scale, string format)
        => uplift is null || double.IsNaN(uplift.Estimate)
            ? "-"
            : string.Create(CultureInfo.InvariantCulture, $"{(uplift.Estimate * scale).ToString(format, CultureInfo.InvariantCulture)} [{(uplift.Lower * scale).ToString(format, CultureInfo.InvariantCulture)}, {(uplift.Upper * scale).ToString(format, CultureInfo.InvariantCulture)}]");

    private static string Num(string text) => "<td class=\"n\">" + E(text) + "</td>";

    private static string E(string text) => HtmlEncoder.Default.Encode(text);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
