using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Crm.Serverless.Core.Scoring;
using ScottPlot;

namespace Crm.Serverless.Reporting;

/// <summary>
/// The report's "Interactions" section, drawn from the run's <see cref="InteractionActivity"/> artefact only:
/// interactions per channel per week, and the complaint rate per segment. Counts, never a subject or an id.
/// Nothing at all for a store without interactions.
/// </summary>
public static class InteractionsSection
{
    public static void Render(StringBuilder html, InteractionActivity? activity)
    {
        ArgumentNullException.ThrowIfNull(html);
        if (activity is null)
        {
            return;
        }

        html.Append("<section id=\"interactions\">\n<h2>Interactions</h2>\n<p>")
            .Append(E(Inv($"{activity.Interactions:N0} interactions stored for {activity.CustomersWithInteractions:N0} customers.")))
            .Append("</p>\n");
        RunReportHtml.Figure(html, ChannelChart(activity));
        html.Append("<h3>Complaint rate per segment</h3>\n<table id=\"complaints-table\">\n<thead><tr><th>segment</th><th class=\"n\">customers</th><th class=\"n\">with a complaint</th><th class=\"n\">complaint rate</th><th class=\"n\">complaints</th></tr></thead>\n<tbody>\n");
        foreach (var segment in activity.Segments)
        {
            html.Append("<tr><td>").Append(E(segment.Segment)).Append("</td>")
                .Append(Num(Inv($"{segment.Customers:N0}")))
                .Append(Num(Inv($"{segment.WithComplaint:N0}")))
                .Append(Num(Inv($"{segment.Rate:P1}")))
                .Append(Num(Inv($"{segment.Complaints:N0}")))
                .Append("</tr>\n");
        }

        html.Append("</tbody>\n</table>\n<p class=\"note\">")
            .Append(E(Inv($"Complaint rate: the share of the segment's scored customers with at least one complaint in the {InteractionActivity.ComplaintDays} days up to {activity.AsOf:yyyy-MM-dd}.")))
            .Append("</p>\n</section>\n");
    }

    public static ReportChart ChannelChart(InteractionActivity activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        var series = new Dictionary<string, IReadOnlyList<double>>(StringComparer.Ordinal);
        foreach (var channel in activity.ByChannel.Where(c => c.Counts.Any(n => n > 0)))
        {
            var values = channel.Counts.Select(n => (double)n).ToArray();
            var line = plot.Add.Scatter(Enumerable.Range(0, values.Length).Select(w => (double)w).ToArray(), values);
            line.LegendText = channel.Channel;
            line.MarkerSize = 0;
            line.LineWidth = 2;
            series[channel.Channel] = values;
        }

        plot.XLabel(Inv($"week since {activity.FirstWeek:yyyy-MM-dd}"));
        plot.YLabel("interactions per week");
        plot.ShowLegend(Alignment.UpperLeft);
        const string id = "chart-interactions";
        return new ReportChart(
            id,
            "Interactions per channel per week",
            Inv($"The {InteractionActivity.Weeks} weeks up to {activity.AsOf:yyyy-MM-dd}, by the day each interaction happened, inbound and outbound together."),
            ReportCharts.Inline(plot.GetSvgXml(ReportCharts.Width, ReportCharts.Height), id),
            series);
    }

    private static string Num(string value) => "<td class=\"n\">" + E(value) + "</td>";

    private static string E(string value) => HtmlEncoder.Default.Encode(value);

    private static string Inv(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
