using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Reporting;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

[Collection(AzuriteCollection.Name)]
public partial class RunReportTests(AzuriteFixture azurite)
{
    /// <summary>The numbers a chart plots, from its figure's data-series attribute.</summary>
    internal static Dictionary<string, double[]> Series(string html, string chartId)
    {
        var match = Regex.Match(html, $"<figure class=\"chart\" id=\"{chartId}\" data-series=\"([^\"]*)\"");
        Assert.True(match.Success, $"No chart {chartId} in the report.");
        var json = WebUtility.HtmlDecode(match.Groups[1].Value);
        return JsonSerializer.Deserialize<Dictionary<string, double[]>>(json)!;
    }

    [Fact]
    public async Task Report_AfterANightlyRun_IsPublishedWithAtLeastSixInlineCharts()
    {
        var seeded = await SeededReport.GetAsync(azurite);

        var svgs = SvgOpen().Matches(seeded.Html);

        Assert.True(svgs.Count >= 6, $"{svgs.Count} charts");
        Assert.All(svgs, svg =>
        {
            Assert.True(int.Parse(Regex.Match(svg.Value, " width=\"(\\d+)\"").Groups[1].Value, CultureInfo.InvariantCulture) > 0);
            Assert.True(int.Parse(Regex.Match(svg.Value, " height=\"(\\d+)\"").Groups[1].Value, CultureInfo.InvariantCulture) > 0);
        });
        Assert.StartsWith("<!DOCTYPE html>", seeded.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("<?xml", seeded.Html, StringComparison.Ordinal);

        // Chart ids are prefixed per chart, so no two inline SVGs define the same clip path.
        var ids = Regex.Matches(seeded.Html, "\\bid=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task Report_ReferencesNothingOnTheNetwork()
    {
        var seeded = await SeededReport.GetAsync(azurite);

        var references = Regex.Matches(seeded.Html, "(?:src|href|action|srcset|poster|data)\\s*=\\s*\"([^\"]*)\"|url\\(\\s*['\"]?([^)'\"]*)", RegexOptions.IgnoreCase)
            .Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value)
            .ToList();
        var xmlnsRemoved = Regex.Replace(seeded.Html, "xmlns(:\\w+)?=\"http://www\\.w3\\.org/[^\"]*\"", "");

        Assert.NotEmpty(references);
        Assert.All(references, reference => Assert.StartsWith("#", reference, StringComparison.Ordinal));
        Assert.DoesNotContain("http://", xmlnsRemoved, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", xmlnsRemoved, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch("(?:src|href)\\s*=\\s*\"//", xmlnsRemoved);
        Assert.DoesNotContain("<script", seeded.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", seeded.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", seeded.Html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Report_ContainsNoPersonalDataOfIngestedContacts()
    {
        var seeded = await SeededReport.GetAsync(azurite);
        var text = WebUtility.HtmlDecode(seeded.Html);

        Assert.All(seeded.PersonalValues, value => Assert.DoesNotContain(value, text, StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("@example", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(SeededReport.RejectedAttributeKey, text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SegmentCharts_PlotTheRunsSegments()
    {
        var seeded = await SeededReport.GetAsync(azurite);

        var sizes = Series(seeded.Html, "chart-segment-sizes")["customers"];
        var clv = Series(seeded.Html, "chart-segment-clv")["mean CLV"];

        Assert.Equal(seeded.Run.Segments.Select(s => (double)s.Customers), sizes);
        Assert.Equal(seeded.Run.Segments.Select(s => s.MeanClv), clv);
        Assert.Equal(seeded.Run.Customers, sizes.Sum());
    }

    [Fact]
    public async Task TrackingChart_ActualSeriesEqualsARecountOfRepeatPurchaseDays()
    {
        var seeded = await SeededReport.GetAsync(azurite);
        var tracking = seeded.Report.Tracking!;
        var plotted = Series(seeded.Html, "chart-tracking");

        // Recount independently: each customer first seen by the calibration end contributes their distinct
        // purchase days up to the as-of, minus the first one, to the week that day falls in.
        var recount = new double[tracking.Weeks];
        foreach (var history in seeded.Histories)
        {
            var days = history.Purchases.Select(p => DateOnly.FromDateTime(p.TimestampUtc)).Distinct().Order().ToList();
            if (days[0] > tracking.CalibrationEnd)
            {
                continue;
            }

            foreach (var day in days.Skip(1).Where(d => d <= seeded.Run.AsOf))
            {
                recount[(day.DayNumber - tracking.Start.DayNumber) / 7]++;
            }
        }

        Assert.Equal(recount, plotted["actual"]);
        Assert.Equal(tracking.Expected, plotted["expected"]);
        Assert.Equal(seeded.Run.AsOf.AddDays(-7 * Nightly.FitModels.HoldoutWeeks), tracking.CalibrationEnd);

        // The shop is simulated from BG/NBD, so the refitted model must track its own calibration period closely.
        var calibrationWeeks = Enumerable.Range(0, tracking.Weeks).Where(w => tracking.WeekStart(w).AddDays(6) <= tracking.CalibrationEnd).ToList();
        var actual = calibrationWeeks.Sum(w => tracking.Actual[w]);
        var expected = calibrationWeeks.Sum(w => tracking.Expected[w]);
        Assert.InRange(expected / actual, 0.85, 1.15);
    }

    [Fact]
    public async Task HoldoutCheck_RescoresToTheRegisteredMetricsAndPrintsTheEce()
    {
        var seeded = await SeededReport.GetAsync(azurite);

        Assert.Equal(2, seeded.Report.Models.Count);
        Assert.All(seeded.Report.Models, check =>
        {
            // Same model, same rows: the recomputed AUC is the one the registry stored at training time.
            Assert.Equal(check.RegisteredAuc, check.Model.Auc, 6);
            Assert.Equal(check.Rows, check.Reliability.Sum(b => b.Count));
            var target = check.Target == PropensityTarget.Churn ? "churn" : "purchase";
            var plotted = Series(seeded.Html, $"chart-reliability-{target}");
            Assert.Equal(check.Reliability.Where(b => b.Count > 0).Select(b => b.ObservedRate), plotted["observedRate"]);
            Assert.Contains($"ECE {check.Model.ExpectedCalibrationError:0.000}", seeded.Html, StringComparison.Ordinal);
            Assert.Equal(check.Model.Auc, check.Roc[0].Auc);
            Assert.Equal(1.0, check.Roc[0].TruePositiveRate[^1]);
            Assert.Contains(Series(seeded.Html, $"chart-roc-{target}").Keys, k => k.StartsWith("recency baseline", StringComparison.Ordinal));
            Assert.Contains(Series(seeded.Html, $"chart-roc-{target}").Keys, k => k.StartsWith("BG/NBD baseline", StringComparison.Ordinal));
            Assert.InRange(check.BetaGeoBaseline.Auc, 0.6, 1);

            // The active customers (a purchase in the year before the cut-off) are a subset, with their own metrics.
            Assert.NotNull(check.Active);
            Assert.InRange(check.Active.Rows, 1, check.Rows);
            Assert.InRange(check.Active.Model.Auc, 0.5, 1);
            Assert.Contains($"{target} probabilities in this run: model {check.Version}", seeded.Html, StringComparison.Ordinal);
        });
        Assert.Contains("<th class=\"n\">active AUC</th>", seeded.Html, StringComparison.Ordinal);
        Assert.Contains("<td>BG/NBD baseline</td>", seeded.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DataQuality_CountsDuplicatesOrphansAndRejectionsWithoutValues()
    {
        var seeded = await SeededReport.GetAsync(azurite);
        var quality = seeded.Report.Quality;

        Assert.Equal(1, quality.DuplicateEmailGroups);
        Assert.Equal(2, quality.DuplicateEmailContacts);
        Assert.Equal(1, quality.ContactsWithoutPurchases);
        Assert.Equal(seeded.Histories.Count - seeded.ContactsWithPurchases, quality.CustomersWithoutContact);
        Assert.Equal(seeded.Histories.Sum(h => h.Purchases.Count(p => p.Amount <= 0)), quality.NonPositiveAmounts);
        Assert.Equal(0, quality.FutureTimestamps);
        var rejection = Assert.Single(quality.Rejected);
        Assert.Equal(("contact", "Rejected", "items[].attributes.*", 1), (rejection.Kind, rejection.Status, rejection.Field, rejection.Count));
        Assert.Contains("items[].attributes.*", seeded.Html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("items[3].attributes.vipKey", "items[].attributes.*")]
    [InlineData("[0].email", "email")]
    [InlineData("amount", "amount")]
    public void RejectionReasons_NormaliseFieldPaths(string field, string expected)
        => Assert.Equal(expected, RejectionReasons.NormaliseField(field));

    [GeneratedRegex("<svg[^>]*>")]
    private static partial Regex SvgOpen();
}
