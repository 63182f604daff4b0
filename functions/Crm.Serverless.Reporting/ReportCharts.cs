using System.Globalization;
using System.Text.RegularExpressions;
using Crm.Serverless.Core.Scoring;
using ScottPlot;

namespace Crm.Serverless.Reporting;

/// <summary>
/// One chart of the report: an inline SVG and the numbers it plots (written beside it as a data attribute, so a reader
/// or a test can check the drawing against the data).
/// </summary>
public sealed record ReportChart(string Id, string Title, string Caption, string Svg, IReadOnlyDictionary<string, IReadOnlyList<double>> Series);

/// <summary>Draws the report's charts with ScottPlot as SVG that can sit inline in one HTML page.</summary>
public static partial class ReportCharts
{
    public const int Width = 760;
    public const int Height = 360;

    // ScottPlot's default palette starts with these; named so a model and its baselines keep their colours across charts.
    private static readonly Color ModelColor = Color.FromHex("#1F77B4");
    private static readonly Color RecencyColor = Color.FromHex("#FF7F0E");
    private static readonly Color FrequencyColor = Color.FromHex("#2CA02C");
    private static readonly Color BetaGeoColor = Color.FromHex("#9467BD");
    private static readonly Color Grey = Color.FromHex("#888888");

    public static ReportChart Tracking(TrackingSeries tracking)
    {
        ArgumentNullException.ThrowIfNull(tracking);
        var weeks = Enumerable.Range(0, tracking.Weeks).Select(w => (double)w).ToArray();
        var plot = NewPlot();
        var actual = plot.Add.Scatter(weeks, tracking.Actual.ToArray());
        actual.LegendText = "actual";
        actual.Color = Color.FromHex("#222222");
        actual.MarkerSize = 0;
        actual.LineWidth = 2;
        // Solid lines throughout: the SVG back end drops dash patterns (and says so on stdout).
        var expected = plot.Add.Scatter(weeks, tracking.Expected.ToArray());
        expected.LegendText = "BG/NBD expected";
        expected.Color = ModelColor;
        expected.MarkerSize = 0;
        expected.LineWidth = 2;
        var split = plot.Add.VerticalLine((tracking.CalibrationEnd.DayNumber - tracking.Start.DayNumber) / 7.0);
        split.Color = Grey;
        split.LegendText = "calibration end " + tracking.CalibrationEnd.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        plot.XLabel($"week since {tracking.Start:yyyy-MM-dd}");
        plot.YLabel("repeat transactions per week");
        plot.ShowLegend(Alignment.UpperRight);
        plot.Axes.SetLimitsY(0, Math.Max(tracking.Actual.DefaultIfEmpty().Max(), tracking.Expected.DefaultIfEmpty().Max()) * 1.1);
        var (holdoutActual, holdoutExpected) = tracking.HoldoutTotals();
        var p = tracking.Parameters;
        return Chart(
            "chart-tracking",
            "BG/NBD tracking: repeat transactions per week",
            string.Create(CultureInfo.InvariantCulture,
                $"Fitted on purchases up to {tracking.CalibrationEnd:yyyy-MM-dd} (r={p.R:0.###}, alpha={p.Alpha:0.###}, a={p.A:0.###}, b={p.B:0.###}); the weeks after the dotted line are a holdout the fit never saw. {tracking.Customers:N0} customers first bought by then. Holdout repeat transactions: actual {holdoutActual:N0}, expected {holdoutExpected:N0} ({Percent(holdoutExpected, holdoutActual)})."),
            plot,
            new Dictionary<string, IReadOnlyList<double>> { ["actual"] = tracking.Actual, ["expected"] = tracking.Expected });
    }

    public static ReportChart Reliability(ModelCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        var bins = check.Reliability.Where(b => b.Count > 0).ToList();
        var plot = NewPlot();
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.Color = Grey;
        diagonal.LegendText = "perfectly calibrated";
        var observed = plot.Add.Scatter(bins.Select(b => b.MeanPredicted).ToArray(), bins.Select(b => b.ObservedRate).ToArray());
        observed.Color = ModelColor;
        observed.MarkerSize = 8;
        observed.LineWidth = 2;
        observed.LegendText = "model (one point per 0.1 bin)";
        plot.Axes.SetLimits(0, 1, 0, 1);
        plot.XLabel("mean predicted probability");
        plot.YLabel("observed rate");
        plot.ShowLegend(Alignment.UpperLeft);
        var name = TargetLabel(check);
        return Chart(
            $"chart-reliability-{Slug(check)}",
            $"Reliability: {name} model",
            string.Create(CultureInfo.InvariantCulture,
                $"Holdout cut-off {check.HoldoutCutoffUtc:yyyy-MM-dd}, {check.Rows:N0} customers, {check.LabelWindowDays}-day window. ECE {check.Model.ExpectedCalibrationError:0.000} (0 is perfect). Customers per bin: {string.Join(", ", bins.Select(b => string.Create(CultureInfo.InvariantCulture, $"{b.Lower:0.0}-{b.Upper:0.0}: {b.Count:N0}")))}."),
            plot,
            new Dictionary<string, IReadOnlyList<double>>
            {
                ["meanPredicted"] = bins.Select(b => b.MeanPredicted).ToList(),
                ["observedRate"] = bins.Select(b => b.ObservedRate).ToList(),
                ["count"] = bins.Select(b => (double)b.Count).ToList(),
            });
    }

    public static ReportChart Roc(ModelCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        var plot = NewPlot();
        var chance = plot.Add.Line(0, 0, 1, 1);
        chance.Color = Grey;
        chance.LegendText = "chance (AUC 0.5)";
        Color[] colors = [ModelColor, RecencyColor, FrequencyColor, BetaGeoColor];
        var series = new Dictionary<string, IReadOnlyList<double>>();
        for (var i = 0; i < check.Roc.Count; i++)
        {
            var curve = check.Roc[i];
            var line = plot.Add.Scatter(curve.FalsePositiveRate.ToArray(), curve.TruePositiveRate.ToArray());
            line.Color = colors[i % colors.Length];
            line.MarkerSize = 0;
            line.LineWidth = i == 0 ? 3 : 2;
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{curve.Name} (AUC {curve.Auc:0.000})");
            series[curve.Name + " fpr"] = curve.FalsePositiveRate;
            series[curve.Name + " tpr"] = curve.TruePositiveRate;
        }

        plot.Axes.SetLimits(0, 1, 0, 1);
        plot.XLabel("false positive rate");
        plot.YLabel("true positive rate");
        plot.ShowLegend(Alignment.LowerRight);
        return Chart(
            $"chart-roc-{Slug(check)}",
            $"ROC: {TargetLabel(check)} model against the three baselines",
            string.Create(CultureInfo.InvariantCulture,
                $"The same {check.Rows:N0} holdout customers ranked by the model, by days since the last purchase, by the number of purchase days, and by the BG/NBD model's probability. A model worth running lies above all three."),
            plot,
            series);
    }

    public static ReportChart SegmentSizes(IReadOnlyList<SegmentSummary> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        return SegmentBars(
            "chart-segment-sizes",
            "Customers per segment",
            "How many customers each RFM segment holds in this run.",
            segments,
            segments.Select(s => (double)s.Customers).ToList(),
            "customers",
            Color.FromHex("#4C72B0"));
    }

    public static ReportChart SegmentClv(IReadOnlyList<SegmentSummary> segments, ClvFitSummary clv)
    {
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentNullException.ThrowIfNull(clv);
        return SegmentBars(
            "chart-segment-clv",
            "Mean CLV per segment",
            $"Expected discounted spend over the next {clv.HorizonMonths} months (BG/NBD x Gamma-Gamma), averaged over the segment.",
            segments,
            segments.Select(s => s.MeanClv).ToList(),
            "mean CLV",
            Color.FromHex("#DD8452"));
    }

    public static ReportChart ClvHistogram(ClvDistribution distribution)
    {
        ArgumentNullException.ThrowIfNull(distribution);
        var plot = NewPlot();
        var bars = distribution.Counts.Select((count, bin) => new Bar
        {
            Position = (bin + 0.5) * distribution.BinWidth,
            Value = count,
            Size = distribution.BinWidth * 0.95,
            FillColor = Color.FromHex("#55A868"),
            LineWidth = 0,
        }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Margins(bottom: 0);
        plot.XLabel("CLV per customer");
        plot.YLabel("customers");
        return Chart(
            "chart-clv-distribution",
            "CLV distribution",
            string.Create(CultureInfo.InvariantCulture,
                $"{distribution.Customers:N0} customers, median {distribution.Median:N2}, 90th percentile {distribution.P90:N2}, 99th percentile {distribution.P99:N2}, maximum {distribution.Max:N2}. Bars reach the 99th percentile; the {distribution.AboveRange:N0} customers above it are counted here, not drawn."),
            plot,
            new Dictionary<string, IReadOnlyList<double>> { ["counts"] = distribution.Counts.Select(c => (double)c).ToList() });
    }

    public static ReportChart ModelVersions(IReadOnlyList<RegisteredModel> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        var plot = NewPlot();
        var series = new Dictionary<string, IReadOnlyList<double>>();
        Color[] colors = [ModelColor, Color.FromHex("#D62728")];
        var index = 0;
        foreach (var group in versions.GroupBy(v => v.Target).OrderBy(g => g.Key))
        {
            var ordered = group.OrderBy(v => v.RegisteredAt).ToList();
            var xs = ordered.Select(v => v.RegisteredAt.UtcDateTime.ToOADate()).ToArray();
            var auc = ordered.Select(v => v.Metadata.Holdout.Model.Auc).ToArray();
            var line = plot.Add.Scatter(xs, auc);
            line.Color = colors[index % colors.Length];
            line.MarkerSize = 7;
            line.LineWidth = 2;
            line.LegendText = $"{group.Key.ToString().ToLowerInvariant()} model AUC";
            var baseline = plot.Add.Scatter(xs, ordered.Select(v => Math.Max(Math.Max(v.Metadata.Holdout.RecencyBaseline.Auc, v.Metadata.Holdout.FrequencyBaseline.Auc), v.Metadata.Holdout.BetaGeoBaseline?.Auc ?? 0)).ToArray());
            baseline.Color = colors[index % colors.Length];
            baseline.MarkerSize = 4;
            baseline.LineWidth = 1;
            baseline.LegendText = $"{group.Key.ToString().ToLowerInvariant()} best baseline AUC";
            series[$"{group.Key.ToString().ToLowerInvariant()} auc"] = auc;
            index++;
        }

        var dates = plot.Axes.DateTimeTicksBottom();
        if (dates.TickGenerator is ScottPlot.TickGenerators.DateTimeAutomatic automatic)
        {
            // ISO dates: the report is read in more than one locale.
            automatic.LabelFormatter = date => date.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        }

        plot.XLabel("registered (UTC)");
        plot.YLabel("holdout AUC");
        plot.ShowLegend(Alignment.LowerLeft);
        return Chart(
            "chart-model-versions",
            "Holdout AUC of every registered model version",
            "Each point is one trained version, measured on its own holdout cut-off; the dotted line is the best of its baselines (BG/NBD included where the version recorded it). A version the gate refused stays registered and plotted.",
            plot,
            series);
    }

    private static ReportChart SegmentBars(string id, string title, string caption, IReadOnlyList<SegmentSummary> segments, IReadOnlyList<double> values, string axis, Color color)
    {
        var plot = NewPlot();

        // Horizontal bars, first segment on top, so the segment names read as plain left-hand labels.
        var bars = values.Select((value, i) => new Bar
        {
            Position = segments.Count - 1 - i,
            Value = value,
            FillColor = color,
            LineWidth = 0,
            Label = value.ToString(value >= 100 ? "N0" : "N2", CultureInfo.InvariantCulture),
        }).ToList();
        var plottable = plot.Add.Bars(bars);
        plottable.Horizontal = true;
        plottable.ValueLabelStyle.FontSize = 11;
        var ticks = segments.Select((s, i) => new Tick(segments.Count - 1 - i, s.Name)).ToArray();
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.Margins(left: 0, right: 0.15);
        plot.XLabel(axis);
        return Chart(id, title, caption, plot, new Dictionary<string, IReadOnlyList<double>> { [axis] = values });
    }

    private static Plot NewPlot()
    {
        var plot = new Plot();

        // A font every Linux image with fonts has; the browser falls back to its sans-serif when it is missing.
        plot.Font.Set("DejaVu Sans");
        return plot;
    }

    private static ReportChart Chart(string id, string title, string caption, Plot plot, IReadOnlyDictionary<string, IReadOnlyList<double>> series)
        => new(id, title, caption, Inline(plot.GetSvgXml(Width, Height), id), series);

    /// <summary>
    /// Makes a standalone SVG document fit inline in HTML: drops the XML declaration, prefixes element ids with the
    /// chart id (ScottPlot numbers its clip paths per image, so two charts would otherwise share ids), adds a viewBox
    /// so CSS can scale it, and drops the trailing separators ScottPlot leaves in glyph position lists.
    /// </summary>
    internal static string Inline(string svg, string id)
    {
        var body = XmlDeclaration().Replace(svg, "").Trim();
        body = IdAttribute().Replace(body, m => $"id=\"{id}-{m.Groups[1].Value}\"");
        body = UrlReference().Replace(body, m => $"url(#{id}-{m.Groups[1].Value})");
        body = HrefReference().Replace(body, m => $"href=\"#{id}-{m.Groups[1].Value}\"");
        body = TrailingSeparator().Replace(body, "$1\"");
        return body.Replace("<svg ", string.Create(CultureInfo.InvariantCulture, $"<svg viewBox=\"0 0 {Width} {Height}\" role=\"img\" "), StringComparison.Ordinal);
    }

    private static string TargetLabel(ModelCheck check) => check.Target == Ml.Propensity.PropensityTarget.Churn ? "churn" : "purchase";

    private static string Slug(ModelCheck check) => TargetLabel(check);

    private static string Percent(double expected, double actual)
        => actual == 0 ? "no actual transactions" : string.Create(CultureInfo.InvariantCulture, $"{(expected - actual) / actual:+0.0%;-0.0%} off");

    [GeneratedRegex(@"<\?xml[^>]*\?>")]
    private static partial Regex XmlDeclaration();

    [GeneratedRegex(@"\bid=""([^""]+)""")]
    private static partial Regex IdAttribute();

    [GeneratedRegex(@"url\(#([^)]+)\)")]
    private static partial Regex UrlReference();

    [GeneratedRegex(@"href=""#([^""]+)""")]
    private static partial Regex HrefReference();

    [GeneratedRegex(@"(\s[xy]=""[^""]*?),\s*""")]
    private static partial Regex TrailingSeparator();
}
