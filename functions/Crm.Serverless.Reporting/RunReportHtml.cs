using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Ml.Propensity;

namespace Crm.Serverless.Reporting;

/// <summary>
/// Writes a <see cref="RunReport"/> as one self-contained HTML page: inline CSS, inline SVG charts, no script and no
/// reference to anything on the network, so it opens offline, prints, and can be mailed as a file.
/// </summary>
public static partial class RunReportHtml
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Default;

    private static readonly JsonSerializerOptions SeriesJson = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private const string Css = """
        :root { color-scheme: light; }
        body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1.5rem; color: #1b1b1b; line-height: 1.45; }
        h1 { font-size: 1.7rem; margin: 0 0 .25rem; }
        h2 { font-size: 1.3rem; border-bottom: 2px solid #d0d7de; padding-bottom: .2rem; margin-top: 2.2rem; }
        h3 { font-size: 1.05rem; margin: .2rem 0; }
        p.lead { color: #444; margin-top: 0; }
        .glance { display: grid; grid-template-columns: repeat(auto-fit, minmax(210px, 1fr)); gap: .75rem; margin: 1rem 0; }
        .glance div { border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem .8rem; background: #f6f8fa; }
        .glance b { display: block; font-size: 1.35rem; }
        .pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 1.2rem; }
        figure { margin: 0 0 1.2rem; break-inside: avoid; }
        figure svg { width: 100%; height: auto; max-width: 760px; border: 1px solid #e3e6e8; }
        figcaption { font-size: .88rem; color: #444; max-width: 760px; }
        table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
        th, td { border: 1px solid #d0d7de; padding: .25rem .55rem; text-align: left; vertical-align: top; }
        td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
        th { background: #f6f8fa; }
        .good { color: #116329; font-weight: 600; }
        .bad { color: #a40e26; font-weight: 600; }
        .note { font-size: .88rem; color: #555; }
        @media print { body { max-width: none; padding: 0; } h2 { break-after: avoid; } .pair { display: block; } table, figure { break-inside: avoid; } }
        """;

    public static string Render(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var run = report.Run;
        var html = new StringBuilder(256 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<title>").Append(E(Inv($"Customer analytics run report, as of {run.AsOf:yyyy-MM-dd}"))).Append("</title>\n<style>").Append(Css).Append("</style>\n</head>\n<body>\n");
        html.Append("<header>\n<h1>Customer analytics run report</h1>\n<p class=\"lead\">")
            .Append(E(Inv($"Data as of {run.AsOf:yyyy-MM-dd} (end of day, UTC). Run {run.RunId}, status {run.Status}{(run.Backfill ? run.Published ? " (a published backfill: it replaced the later run as the current one)" : " (a backfill, not published: the current run is untouched)" : "")}; report generated {report.GeneratedAt:yyyy-MM-dd HH:mm} UTC.")))
            .Append("</p>\n</header>\n");

        Glance(html, report);
        Segments(html, report);
        CampaignsSection.Write(html, report.Campaigns);
        Value(html, report);
        Models(html, report);
        Tracking(html, report);
        Versions(html, report);
        Quality(html, report.Quality);
        TopsAndFlops(html, report.Products);
        InteractionsSection.Render(html, report.Interactions); // report section: interactions
        ComplaintChurnSection.Render(html, report.Interactions?.OpenComplaints); // report section: churn by open complaints
        RecommendationsSection.Render(html, report.Recommendations); // report section: recommendations
        Facts(html, report);
        html.Append("<footer class=\"note\"><p>Written by Crm.Serverless from the run's stored results. No names or e-mail addresses appear in this report; data-quality figures are counts.</p></footer>\n");
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static void Glance(StringBuilder html, RunReport report)
    {
        var run = report.Run;
        var biggest = run.Segments.MaxBy(s => s.Customers);
        var mostValuable = run.Segments.MaxBy(s => s.TotalClv);
        html.Append("<section id=\"glance\">\n<h2>At a glance</h2>\n<div class=\"glance\">\n");
        Tile(html, "customers scored", Inv($"{run.Customers:N0}"));
        Tile(html, Inv($"expected value, next {run.Clv.HorizonMonths} months"), Inv($"{report.Clv.Total:N0}"));
        if (biggest is not null)
        {
            Tile(html, "largest segment", Inv($"{biggest.Name} ({biggest.Customers:N0})"));
        }

        if (mostValuable is not null)
        {
            Tile(html, "most value", Inv($"{mostValuable.Name} ({mostValuable.TotalClv:N0})"));
        }

        foreach (var check in report.Models)
        {
            var beats = check.Model.Auc > Math.Max(Math.Max(check.RecencyBaseline.Auc, check.FrequencyBaseline.Auc), check.BetaGeoBaseline.Auc);
            Tile(html, Inv($"{Target(check.Target)} model AUC"), Inv($"{check.Model.Auc:0.000}"), beats ? "beats all three baselines" : "does NOT beat the baselines", beats);
        }

        foreach (var source in run.Scorers ?? [])
        {
            if (source.IsBetaGeo)
            {
                Tile(html, Inv($"{source.Target} scores"), ScoringSource.BetaGeo, "no trained model beats it", true);
            }
        }

        var quality = report.Quality;
        var issues = quality.Rejected.Sum(r => r.Count) + quality.NonPositiveAmounts + quality.FutureTimestamps + quality.DuplicateEmailGroups;
        Tile(html, "data-quality findings", Inv($"{issues:N0}"), issues == 0 ? "nothing to fix" : "see Data quality", issues == 0);
        html.Append("</div>\n</section>\n");
    }

    private static void Segments(StringBuilder html, RunReport report)
    {
        var run = report.Run;
        html.Append("<section id=\"segments\">\n<h2>Segments</h2>\n<p class=\"note\">RFM segments of every scored customer, with the value the CLV model expects from them and, where the churn model is in use, their mean churn probability.</p>\n<div class=\"pair\">\n");
        Figure(html, ReportCharts.SegmentSizes(run.Segments));
        Figure(html, ReportCharts.SegmentClv(run.Segments, run.Clv));
        html.Append("</div>\n<table id=\"segment-table\">\n<thead><tr><th>segment</th><th class=\"n\">customers</th><th class=\"n\">share</th><th class=\"n\">mean CLV</th><th class=\"n\">total CLV</th><th class=\"n\">mean churn probability</th></tr></thead>\n<tbody>\n");
        foreach (var segment in run.Segments)
        {
            html.Append("<tr><td>").Append(E(segment.Name)).Append("</td>")
                .Append(Num(Inv($"{segment.Customers:N0}")))
                .Append(Num(run.Customers == 0 ? "-" : Inv($"{(double)segment.Customers / run.Customers:0.0%}")))
                .Append(Num(Inv($"{segment.MeanClv:N2}")))
                .Append(Num(Inv($"{segment.TotalClv:N0}")))
                .Append(Num(segment.MeanChurnProbability is { } churn ? Inv($"{churn:0.000}") : "-"))
                .Append("</tr>\n");
        }

        html.Append("</tbody>\n</table>\n</section>\n");
    }

    private static void Value(StringBuilder html, RunReport report)
    {
        var clv = report.Clv;
        html.Append("<section id=\"value\">\n<h2>Customer value</h2>\n");
        Figure(html, ReportCharts.ClvHistogram(clv));
        html.Append("<table>\n<thead><tr><th>customers</th><th class=\"n\">total CLV</th><th class=\"n\">mean</th><th class=\"n\">median</th><th class=\"n\">90th pct</th><th class=\"n\">99th pct</th><th class=\"n\">max</th></tr></thead>\n<tbody><tr>")
            .Append(Num(Inv($"{clv.Customers:N0}"))).Append(Num(Inv($"{clv.Total:N0}"))).Append(Num(Inv($"{clv.Mean:N2}")))
            .Append(Num(Inv($"{clv.Median:N2}"))).Append(Num(Inv($"{clv.P90:N2}"))).Append(Num(Inv($"{clv.P99:N2}"))).Append(Num(Inv($"{clv.Max:N2}")))
            .Append("</tr></tbody>\n</table>\n</section>\n");
    }

    private static void Models(StringBuilder html, RunReport report)
    {
        html.Append("<section id=\"models\">\n<h2>Churn and purchase models on their holdout</h2>\n<p class=\"note\">Each promoted model is scored again on its holdout cut-off: every customer known then, labelled by what they did in the following window, which the model never trained on. The recency baseline ranks by days since the last purchase, the frequency baseline by the number of purchase days (both one-feature logistic fits on the same training rows); the BG/NBD baseline is the BG/NBD model's own probability, fitted on the purchases up to the cut-off. The right-hand columns repeat AUC and ECE on the customers who bought in the year before the cut-off: long-lapsed customers are easy churners and flatter every AUC.</p>\n");
        foreach (var missing in report.MissingModels)
        {
            html.Append("<p class=\"bad\">").Append(E(missing)).Append("</p>\n");
        }

        foreach (var source in report.Run.Scorers ?? [])
        {
            html.Append("<p class=\"scorer\">").Append(E(Inv($"{source.Target} probabilities in this run: {source.Description}"))).Append("</p>\n");
        }

        foreach (var warning in report.Run.Warnings ?? [])
        {
            html.Append("<p class=\"bad\">").Append(E(warning)).Append("</p>\n");
        }

        if (report.Models.Count > 0)
        {
            html.Append("<table id=\"holdout-metrics\">\n<thead><tr><th>model</th><th>scored by</th><th class=\"n\">AUC</th><th class=\"n\">PR-AUC</th><th class=\"n\">log-loss</th><th class=\"n\">Brier</th><th class=\"n\">ECE</th><th class=\"n\">top-10% lift</th><th class=\"n\">top-10% capture</th><th class=\"n\">active AUC</th><th class=\"n\">active ECE</th></tr></thead>\n<tbody>\n");
            foreach (var check in report.Models)
            {
                MetricsRow(html, check, "model " + check.Version, check.Model, check.Active?.Model);
                MetricsRow(html, check, "recency baseline", check.RecencyBaseline, check.Active?.RecencyBaseline);
                MetricsRow(html, check, "frequency baseline", check.FrequencyBaseline, check.Active?.FrequencyBaseline);
                MetricsRow(html, check, "BG/NBD baseline", check.BetaGeoBaseline, check.Active?.BetaGeoBaseline);
            }

            html.Append("</tbody>\n</table>\n<p class=\"note\">");
            foreach (var check in report.Models)
            {
                var same = Math.Abs(check.Model.Auc - check.RegisteredAuc) < 1e-6;
                html.Append(E(Inv($"{Target(check.Target)}: holdout cut-off {check.HoldoutCutoffUtc:yyyy-MM-dd}, {check.LabelWindowDays}-day window, {check.Rows:N0} customers, {check.Positives:N0} positive ({(double)check.Positives / Math.Max(check.Rows, 1):0.0%}), {check.Active?.Rows ?? 0:N0} active in the year before; recomputed AUC {check.Model.Auc:0.0000} vs registered {check.RegisteredAuc:0.0000}")))
                    .Append(same ? " <span class=\"good\">(match)</span>" : " <span class=\"bad\">(differs: the stored data changed since training)</span>")
                    .Append(". ");
            }

            html.Append("</p>\n<div class=\"pair\">\n");
            foreach (var check in report.Models)
            {
                Figure(html, ReportCharts.Reliability(check));
            }

            html.Append("</div>\n<div class=\"pair\">\n");
            foreach (var check in report.Models)
            {
                Figure(html, ReportCharts.Roc(check));
            }

            html.Append("</div>\n");
        }

        html.Append("</section>\n");
    }

    private static void MetricsRow(StringBuilder html, ModelCheck check, string by, BinaryMetrics m, BinaryMetrics? active)
        => html.Append("<tr><td>").Append(E(Target(check.Target))).Append("</td><td>").Append(E(by)).Append("</td>")
            .Append(Num(Inv($"{m.Auc:0.000}"))).Append(Num(Inv($"{m.AveragePrecision:0.000}"))).Append(Num(Inv($"{m.LogLoss:0.000}")))
            .Append(Num(Inv($"{m.Brier:0.000}"))).Append(Num(Inv($"{m.ExpectedCalibrationError:0.000}"))).Append(Num(Inv($"{m.TopDecileLift:0.00}")))
            .Append(Num(Inv($"{m.TopDecileCapture:0.000}")))
            .Append(Num(active is null ? "-" : Inv($"{active.Auc:0.000}"))).Append(Num(active is null ? "-" : Inv($"{active.ExpectedCalibrationError:0.000}")))
            .Append("</tr>\n");

    private static void Tracking(StringBuilder html, RunReport report)
    {
        var clv = report.Run.Clv;
        html.Append("<section id=\"clv-model\">\n<h2>CLV model check (BG/NBD tracking)</h2>\n");
        if (report.Tracking is { } tracking)
        {
            Figure(html, ReportCharts.Tracking(tracking));
        }
        else
        {
            html.Append("<p class=\"note\">").Append(E("No tracking plot: " + report.TrackingNote)).Append("</p>\n");
        }

        html.Append("<table>\n<thead><tr><th>fit</th><th class=\"n\">r</th><th class=\"n\">alpha</th><th class=\"n\">a</th><th class=\"n\">b</th><th class=\"n\">customers</th></tr></thead>\n<tbody>\n");
        if (report.Tracking is { } t)
        {
            html.Append("<tr><td>").Append(E(Inv($"calibration to {t.CalibrationEnd:yyyy-MM-dd} (tracking plot)"))).Append("</td>")
                .Append(Num(Inv($"{t.Parameters.R:0.0000}"))).Append(Num(Inv($"{t.Parameters.Alpha:0.0000}"))).Append(Num(Inv($"{t.Parameters.A:0.0000}"))).Append(Num(Inv($"{t.Parameters.B:0.0000}")))
                .Append(Num(Inv($"{t.Customers:N0}"))).Append("</tr>\n");
        }

        html.Append("<tr><td>").Append(E(Inv($"run, to {report.Run.AsOf:yyyy-MM-dd} (scores the customers)"))).Append("</td>")
            .Append(Num(Inv($"{clv.R:0.0000}"))).Append(Num(Inv($"{clv.Alpha:0.0000}"))).Append(Num(Inv($"{clv.A:0.0000}"))).Append(Num(Inv($"{clv.B:0.0000}")))
            .Append(Num(Inv($"{clv.Customers:N0}"))).Append("</tr>\n</tbody>\n</table>\n")
            .Append("<p class=\"note\">").Append(E(Inv($"Time unit: {clv.TimeUnit}. Spend model (Gamma-Gamma): p={clv.P:0.000}, q={clv.Q:0.000}, gamma={clv.Gamma:0.000}, fitted on {clv.RepeatCustomers:N0} repeat customers."))).Append("</p>\n</section>\n");
    }

    private static void Versions(StringBuilder html, RunReport report)
    {
        html.Append("<section id=\"versions\">\n<h2>Model versions</h2>\n");
        if (report.Versions.Count == 0)
        {
            html.Append("<p class=\"note\">No model version is registered yet.</p>\n</section>\n");
            return;
        }

        Figure(html, ReportCharts.ModelVersions(report.Versions));
        html.Append("<table>\n<thead><tr><th>version</th><th>registered (UTC)</th><th>in use</th><th class=\"n\">AUC</th><th class=\"n\">recency AUC</th><th class=\"n\">frequency AUC</th><th class=\"n\">BG/NBD AUC</th><th class=\"n\">ECE</th><th>gate</th></tr></thead>\n<tbody>\n");
        foreach (var version in report.Versions)
        {
            var holdout = version.Metadata.Holdout;
            html.Append("<tr><td>").Append(E(version.Version)).Append("</td><td>").Append(E(Inv($"{version.RegisteredAt.UtcDateTime:yyyy-MM-dd HH:mm}"))).Append("</td><td>")
                .Append(version.Promoted ? "yes" : "").Append("</td>")
                .Append(Num(Inv($"{holdout.Model.Auc:0.000}"))).Append(Num(Inv($"{holdout.RecencyBaseline.Auc:0.000}"))).Append(Num(Inv($"{holdout.FrequencyBaseline.Auc:0.000}")))
                .Append(Num(holdout.BetaGeoBaseline is { } betaGeo ? Inv($"{betaGeo.Auc:0.000}") : "-"))
                .Append(Num(Inv($"{holdout.Model.ExpectedCalibrationError:0.000}"))).Append("<td>").Append(E(version.Decision.Reason)).Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n</section>\n");
    }

    private static void Quality(StringBuilder html, DataQuality q)
    {
        html.Append("<section id=\"data-quality\">\n<h2>Data quality</h2>\n<table id=\"quality-table\">\n<thead><tr><th>check</th><th class=\"n\">count</th><th>what it means</th></tr></thead>\n<tbody>\n");
        QualityRow(html, "rejected items", q.Rejected.Sum(r => r.Count), "Items refused at ingest (invalid, or conflicting with what is stored); reasons below.");
        QualityRow(html, "customers with purchases but no contact", q.CustomersWithoutContact, Inv($"Purchases ({q.TransactionsWithoutContact:N0}) for customer ids the shop never sent a contact for; they are scored, but marketing cannot reach them."));
        QualityRow(html, "contacts without purchases", q.ContactsWithoutPurchases, "Contacts with no purchase yet; the models cannot score them.");
        QualityRow(html, "possible duplicate contacts", q.DuplicateEmailGroups, Inv($"Groups of contacts sharing one e-mail address after trimming and lower-casing ({q.DuplicateEmailContacts:N0} contacts in all). Only counted; no address is shown."));
        QualityRow(html, "zero or negative amounts", q.NonPositiveAmounts, "Stored purchases whose amount is not positive (refunds or test orders distort spend).");
        QualityRow(html, "purchases after the as-of", q.FutureTimestamps, Inv($"Stored purchases dated after {q.FutureAfterUtc:yyyy-MM-dd HH:mm} UTC: not seen by this run."));
        html.Append("<tr><td>refund rate</td><td class=\"n\">").Append(E(q.RefundRate is { } rate ? Inv($"{rate:P1}") : "-"))
            .Append("</td><td>").Append(E(Inv($"Refunds ({q.RefundedSpend:N2}) as a share of the gross spend ({q.GrossSpend:N2}) of purchases not cancelled; spend, CLV and segments use the net amounts."))).Append("</td></tr>\n");
        html.Append("</tbody>\n</table>\n");
        if (q.Rejected.Count > 0)
        {
            html.Append("<h3>Rejected items by reason</h3>\n<table id=\"rejected-table\">\n<thead><tr><th>item</th><th>status</th><th>field</th><th>rule</th><th class=\"n\">items</th></tr></thead>\n<tbody>\n");
            foreach (var reason in q.Rejected)
            {
                html.Append("<tr><td>").Append(E(reason.Kind)).Append("</td><td>").Append(E(reason.Status)).Append("</td><td>").Append(E(reason.Field))
                    .Append("</td><td>").Append(E(reason.Message)).Append("</td>").Append(Num(Inv($"{reason.Count:N0}"))).Append("</tr>\n");
            }

            html.Append("</tbody>\n</table>\n");
        }

        html.Append("<p class=\"note\">").Append(E(Inv($"Stored: {q.Customers:N0} customers, {q.Transactions:N0} purchases, {q.Contacts:N0} contacts (counted when the report was written)."))).Append("</p>\n</section>\n");
    }

    private static void QualityRow(StringBuilder html, string check, long count, string meaning)
        => html.Append("<tr><td>").Append(E(check)).Append("</td><td class=\"n ").Append(count == 0 ? "good" : "bad").Append("\">").Append(E(Inv($"{count:N0}")))
            .Append("</td><td>").Append(E(meaning)).Append("</td></tr>\n");

    private static void Facts(StringBuilder html, RunReport report)
    {
        var run = report.Run;
        html.Append("<section id=\"run-facts\">\n<h2>Run facts</h2>\n<table id=\"facts-table\">\n<tbody>\n");
        Fact(html, "run id", run.RunId);
        Fact(html, "as of", Inv($"{run.AsOf:yyyy-MM-dd}"));
        Fact(html, "status", run.Status);
        Fact(html, "started (UTC)", Inv($"{run.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}"));
        Fact(html, "completed (UTC)", run.CompletedAt is { } done ? Inv($"{done.UtcDateTime:yyyy-MM-dd HH:mm:ss}") : "-");
        Fact(html, "customers scored", Inv($"{run.Customers:N0} in {run.Shards} shards"));
        Fact(html, "stored data", Inv($"{report.Quality.Customers:N0} customers, {report.Quality.Transactions:N0} purchases, {report.Quality.Contacts:N0} contacts"));
        foreach (var training in run.Training)
        {
            Fact(html, $"{training.Target} model", $"trained {training.Version ?? "none"} ({(training.Promoted ? "promoted" : "not promoted")}: {training.Decision}); scored with {training.ScoringVersion ?? "none"}");
        }

        html.Append("</tbody>\n</table>\n<h3>Step durations</h3>\n<table id=\"steps-table\">\n<thead><tr><th>step</th><th class=\"n\">seconds</th></tr></thead>\n<tbody>\n");
        foreach (var (step, seconds) in run.StepSeconds)
        {
            html.Append("<tr><td>").Append(E(step)).Append("</td>").Append(Num(Inv($"{seconds:0.0}"))).Append("</tr>\n");
        }

        html.Append("</tbody>\n</table>\n</section>\n");
    }

    private static void Fact(StringBuilder html, string name, string value)
        => html.Append("<tr><th>").Append(E(name)).Append("</th><td>").Append(E(value)).Append("</td></tr>\n");

    private static void Tile(StringBuilder html, string label, string value, string? verdict = null, bool good = true)
    {
        html.Append("<div><b>").Append(E(value)).Append("</b>").Append(E(label));
        if (verdict is not null)
        {
            html.Append("<br><span class=\"").Append(good ? "good" : "bad").Append("\">").Append(E(verdict)).Append("</span>");
        }

        html.Append("</div>\n");
    }

    internal static void Figure(StringBuilder html, ReportChart chart)
    {
        html.Append("<figure class=\"chart\" id=\"").Append(E(chart.Id)).Append("\" data-series=\"").Append(E(JsonSerializer.Serialize(chart.Series, SeriesJson))).Append("\">\n")
            .Append("<h3>").Append(E(chart.Title)).Append("</h3>\n")
            .Append(chart.Svg).Append('\n')
            .Append("<figcaption>").Append(E(chart.Caption)).Append("</figcaption>\n</figure>\n");
    }

    private static string Num(string value) => "<td class=\"n\">" + E(value) + "</td>";

    private static string Target(PropensityTarget target) => ModelRegistry.TargetName(target);

    private static string E(string value) => Encoder.Encode(value);

    private static string Inv(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
