using Crm.Serverless.Core.Nightly;
using System.Globalization;
using System.Text;
using Crm.Serverless.Core.Campaigns;
using Crm.Serverless.Core.Privacy;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Reporting;
using Crm.Serverless.Testing;
using MathNet.Numerics.Distributions;

namespace Crm.Serverless.Core.Tests.Campaigns;

[Collection(AzuriteCollection.Name)]
public class CampaignTests(AzuriteFixture azurite)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Create_FreezesTheSegment_WithAStableSeededSplit()
    {
        var (host, run) = await CampaignShop.StartAsync(azurite);
        await using var _ = host;
        var segment = CampaignShop.LargestSegment(run);
        var service = host.Get<CampaignService>();

        var created = await service.CreateAsync(new CampaignRequest("Stable", segment, ControlShare: 0.3, Seed: 9), None);
        var first = await service.ReadMembersAsync(created.Campaign!, None);
        var second = await service.ReadMembersAsync((await service.GetAsync("stable", None))!, None);
        var again = await service.CreateAsync(new CampaignRequest("STABLE", segment, ControlShare: 0.3, Seed: 9), None);

        Assert.Equal(CampaignCreationStatus.Created, created.Status);
        Assert.Equal(run.RunId, created.Campaign!.RunId);
        Assert.Equal((await CampaignShop.SegmentCustomersAsync(host, run, segment)).Order(StringComparer.Ordinal), first.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(first.OrderBy(p => p.Key, StringComparer.Ordinal), second.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.All(first, m => Assert.Equal(CampaignSplit.Assign(9, "stable", m.Key, 0.3), m.Value));
        Assert.Equal(created.Campaign.Control, first.Values.Count(g => g == CampaignGroup.Control));
        Assert.Equal(created.Campaign.Treatment, first.Values.Count(g => g == CampaignGroup.Treatment));
        Assert.True(created.Campaign.Control > 0 && created.Campaign.Treatment > created.Campaign.Control);
        Assert.Equal(CampaignCreationStatus.Exists, again.Status);
        Assert.Equal(first.Count, (await service.ReadMembersAsync(again.Campaign!, None)).Count);
    }

    /// <summary>
    /// The stored split is random as well as stable: 25 campaigns over one segment with seeds 0 to 24 and a 30% control
    /// share; each stored control count is Binomial(n, 0.3), so the sum of the squared standardised counts is
    /// chi-square with 25 degrees of freedom, refused at the 1% level.
    /// </summary>
    [Fact]
    public async Task Create_OverManySeeds_StoredControlCountsPassAChiSquareTest()
    {
        var (host, run) = await CampaignShop.StartAsync(azurite);
        await using var _ = host;
        var segment = CampaignShop.LargestSegment(run);
        var service = host.Get<CampaignService>();
        const int Seeds = 25;
        const double Share = 0.3;

        var statistic = 0.0;
        var sizes = new HashSet<int>();
        for (var seed = 0; seed < Seeds; seed++)
        {
            var campaign = (await service.CreateAsync(new CampaignRequest($"chi-{seed}", segment, ControlShare: Share, Seed: seed), None)).Campaign!;
            var members = await service.ReadMembersAsync(campaign, None);
            var n = members.Count;
            var control = members.Values.Count(g => g == CampaignGroup.Control);
            sizes.Add(n);
            statistic += Math.Pow(control - n * Share, 2) / (n * Share * (1 - Share));
        }

        Assert.Equal([run.Segments.Single(s => s.Segment == segment).Customers], sizes);
        Assert.True(statistic < ChiSquared.InvCDF(Seeds, 0.99), $"chi-square {statistic:0.00} over {Seeds} df");
    }

    /// <summary>
    /// Fixture purchases after the send date, and the figures worked out by hand: treatment responders T0 (10), T1
    /// (20 + 5), T2 (40, 15 refunded: 25) and T3 (30 on day 29); T4 buys on day 31 and T5 the hour before the send,
    /// both outside the window; control C0 buys 25, C1's purchase is wholly refunded. The nightly run's artefact and
    /// the run report show the same figures.
    /// </summary>
    [Fact]
    public async Task Report_UpliftEqualsAHandCalculation_AndTheRunReportShowsIt()
    {
        var (host, run) = await CampaignShop.StartAsync(azurite);
        await using var _ = host;
        var service = host.Get<CampaignService>();
        var campaign = (await service.CreateAsync(new CampaignRequest("summer-sale", CampaignShop.LargestSegment(run), ControlShare: 0.5, Seed: 5, SentAt: CampaignShop.SentAt), None)).Campaign!;
        var members = await service.ReadMembersAsync(campaign, None);
        var t = members.Where(m => m.Value == CampaignGroup.Treatment).Select(m => m.Key).Order(StringComparer.Ordinal).ToList();
        var c = members.Where(m => m.Value == CampaignGroup.Control).Select(m => m.Key).Order(StringComparer.Ordinal).ToList();
        var outsider = (await host.Get<HistoryReader>().ReadAllAsync(None)).Select(h => h.CustomerId).First(id => !members.ContainsKey(id));
        await IngestCalls.TransactionsAsync(host, "[" + string.Join(',',
            Purchase("f1", t[0], 1, 10), Purchase("f2", t[1], 2, 20), Purchase("f3", t[1], 3, 5),
            Purchase("f4", t[2], 5, 40), Refund("f5", t[2], 6, 15, "f4"), Purchase("f6", t[3], 29, 30),
            Purchase("f7", t[4], 31, 50), Purchase("f8", t[5], -1.0 / 24, 60),
            Purchase("f9", c[0], 3, 25), Purchase("f10", c[1], 4, 30), Refund("f11", c[1], 5, 30, "f10"),
            Purchase("f12", outsider, 2, 999)) + "]");

        var report = (await service.ReportAsync("summer-sale", 30, None))!;

        // By hand: treatment 4 responders spending 10, 25, 25, 30 (sum 90, squares 2250); control 1 spending 25.
        var (nt, nc) = (t.Count, c.Count);
        Assert.Equal((nt, 4, 90.0), (report.Treatment.Customers, report.Treatment.Responders, report.Treatment.Revenue));
        Assert.Equal((nc, 1, 25.0), (report.Control.Customers, report.Control.Responders, report.Control.Revenue));
        var (p1, l1, u1) = Wilson(4, nt);
        var (p2, l2, u2) = Wilson(1, nc);
        Assert.Equal(p1 - p2, report.ResponseUplift.Estimate, 12);
        Assert.Equal(p1 - p2 - Math.Sqrt(Math.Pow(p1 - l1, 2) + Math.Pow(u2 - p2, 2)), report.ResponseUplift.Lower, 12);
        Assert.Equal(p1 - p2 + Math.Sqrt(Math.Pow(u1 - p1, 2) + Math.Pow(p2 - l2, 2)), report.ResponseUplift.Upper, 12);
        var (m1, v1) = (90.0 / nt, (2250 - 90.0 * 90 / nt) / (nt - 1));
        var (m2, v2) = (25.0 / nc, (625 - 25.0 * 25 / nc) / (nc - 1));
        var se = Math.Sqrt(v1 / nt + v2 / nc);
        var df = Math.Pow(v1 / nt + v2 / nc, 2) / (Math.Pow(v1 / nt, 2) / (nt - 1) + Math.Pow(v2 / nc, 2) / (nc - 1));
        var half = StudentT.InvCDF(0, 1, df, 0.975) * se;
        Assert.Equal(m1 - m2, report.RevenueUplift!.Estimate, 9);
        Assert.Equal(m1 - m2 - half, report.RevenueUplift.Lower, 9);
        Assert.Equal(m1 - m2 + half, report.RevenueUplift.Upper, 9);
        Assert.True(report.WindowComplete);
        Assert.Contains("unitCost", report.MarginNote, StringComparison.Ordinal);

        // The next night measures the campaign from the histories it read and the report renders that artefact.
        var later = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData.AddDays(40), train: false, parallelism: 4, None);
        var figures = (await host.Get<CampaignRunFigures>().ReadAsync(later.RunId, None))!;
        var html = (await host.Get<RunReportStore>().GetAsync(later.RunId, None))!;

        var nightly = Assert.Single(figures);
        Assert.Equal((report.Treatment, report.Control), (nightly.Treatment, nightly.Control));
        Assert.Equal(report.ResponseUplift, nightly.ResponseUplift);
        Assert.Contains("<section id=\"campaigns\">", html, StringComparison.Ordinal);
        Assert.Contains("data-campaign=\"summer-sale\"", html, StringComparison.Ordinal);
        Assert.Empty((await host.Get<CampaignRunFigures>().ReadAsync(run.RunId, None))!);
    }

    /// <summary>
    /// Margin on the same shape of fixture, with lines and unit costs, worked out by hand: treatment T0 buys A (10, cost
    /// 4): 6; T1 buys 2 A (20, cost 8) and B (5, cost 1): 16; T2 buys 4 C (40, cost 24) and gives one back (10):
    /// 30 - 18 = 12; T3 buys D at 40 less a 10 discount (30, cost 20): 10; control C0 buys 2 A and B (25, cost 9): 16,
    /// C1's purchase is wholly refunded. Then T4 buys a line without a unit cost in the window: the treatment margin is
    /// unknown and the report says so rather than showing revenue.
    /// </summary>
    [Fact]
    public async Task Report_MarginPerCustomerEqualsAHandCalculation_AndAnUnknownCostIsSaid()
    {
        var (host, run) = await CampaignShop.StartAsync(azurite);
        await using var _ = host;
        var service = host.Get<CampaignService>();
        var campaign = (await service.CreateAsync(new CampaignRequest("margins", CampaignShop.LargestSegment(run), ControlShare: 0.5, Seed: 5, SentAt: CampaignShop.SentAt), None)).Campaign!;
        var members = await service.ReadMembersAsync(campaign, None);
        var t = members.Where(m => m.Value == CampaignGroup.Treatment).Select(m => m.Key).Order(StringComparer.Ordinal).ToList();
        var c = members.Where(m => m.Value == CampaignGroup.Control).Select(m => m.Key).Order(StringComparer.Ordinal).ToList();
        var stored = await IngestCalls.TransactionsAsync(host, "[" + string.Join(',',
            Lines("m1", t[0], 1, 10, 0, """{"sku":"A","quantity":1,"price":10,"unitCost":4}"""),
            Lines("m2", t[1], 2, 20, 0, """{"sku":"A","quantity":2,"price":10,"unitCost":4}"""),
            Lines("m3", t[1], 3, 5, 0, """{"sku":"B","quantity":1,"price":5,"unitCost":1}"""),
            Lines("m4", t[2], 5, 40, 0, """{"sku":"C","quantity":4,"price":10,"unitCost":6}"""),
            Refund("m5", t[2], 6, 10, "m4", """{"sku":"C","quantity":1}"""),
            Lines("m6", t[3], 29, 30, 10, """{"sku":"D","quantity":1,"price":40,"unitCost":20}"""),
            Lines("m7", c[0], 3, 25, 0, """{"sku":"A","quantity":2,"price":10,"unitCost":4},{"sku":"B","quantity":1,"price":5,"unitCost":1}"""),
            Lines("m8", c[1], 4, 30, 0, """{"sku":"A","quantity":3,"price":10,"unitCost":4}"""),
            Refund("m9", c[1], 5, 30, "m8")) + "]");
        Assert.All(stored, o => Assert.Equal(Domain.IngestStatus.Accepted, o.Status));

        var report = (await service.ReportAsync("margins", 30, None))!;

        // By hand: treatment margins 6, 16, 12, 10 (sum 44, squares 536) over nt; control 16 over nc.
        var (nt, nc) = (t.Count, c.Count);
        Assert.Equal((4, 95.0), (report.Treatment.Responders, report.Treatment.Revenue));
        Assert.Equal(44.0 / nt, report.Treatment.MarginPerCustomer!.Value, 12);
        Assert.Equal(16.0 / nc, report.Control.MarginPerCustomer!.Value, 12);
        var (m1, v1) = (44.0 / nt, (536 - 44.0 * 44 / nt) / (nt - 1));
        var (m2, v2) = (16.0 / nc, (256 - 16.0 * 16 / nc) / (nc - 1));
        var se = Math.Sqrt(v1 / nt + v2 / nc);
        var df = Math.Pow(v1 / nt + v2 / nc, 2) / (Math.Pow(v1 / nt, 2) / (nt - 1) + Math.Pow(v2 / nc, 2) / (nc - 1));
        var half = StudentT.InvCDF(0, 1, df, 0.975) * se;
        Assert.Equal(m1 - m2, report.MarginUplift!.Estimate, 9);
        Assert.Equal(m1 - m2 - half, report.MarginUplift.Lower, 9);
        Assert.Equal(m1 - m2 + half, report.MarginUplift.Upper, 9);
        Assert.DoesNotContain("margin unknown", report.MarginNote, StringComparison.Ordinal);

        await IngestCalls.TransactionsAsync(host, Lines("m10", t[4], 10, 50, 0, """{"sku":"E","quantity":1,"price":50}"""));
        var unknown = (await service.ReportAsync("margins", 30, None))!;
        var later = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData.AddDays(40), train: false, parallelism: 4, None);
        var nightly = Assert.Single((await host.Get<CampaignRunFigures>().ReadAsync(later.RunId, None))!);
        var html = (await host.Get<RunReportStore>().GetAsync(later.RunId, None))!;

        Assert.Equal((5, 1), (unknown.Treatment.Responders, unknown.Treatment.RespondersWithoutCost));
        Assert.Null(unknown.Treatment.MarginPerCustomer);
        Assert.Null(unknown.MarginUplift);
        Assert.Equal(16.0 / nc, unknown.Control.MarginPerCustomer!.Value, 12);
        Assert.StartsWith("margin unknown: 1 of the 5 treatment responders bought without a unitCost", unknown.MarginNote, StringComparison.Ordinal);
        Assert.Equal((unknown.Treatment, unknown.Control, unknown.MarginNote), (nightly.Treatment, nightly.Control, nightly.MarginNote));
        Assert.Contains("margin per customer T / C", html, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"unknown / {16.0 / nc:N2} "), html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_NeverDrawsAWithdrawnCustomer_MarketableOrNot_AndEraseRemovesTheMembership()
    {
        var (host, run) = await CampaignShop.StartAsync(azurite);
        await using var _ = host;
        var segment = CampaignShop.LargestSegment(run);
        var ids = await CampaignShop.SegmentCustomersAsync(host, run, segment);
        await IngestCalls.ContactsAsync(host, "[" + string.Join(',', ids.Select(id => $$"""{"customerId":"{{id}}","email":"{{id}}@example.com","marketingConsent":true,"updatedAt":"2024-01-01T00:00:00Z"}""")) + "]");
        var withdrawn = ids[0];
        await IngestCalls.ContactsAsync(host, $$"""{"customerId":"{{withdrawn}}","marketingConsent":false,"updatedAt":"2024-02-01T00:00:00Z"}""");
        var service = host.Get<CampaignService>();

        var marketable = (await service.CreateAsync(new CampaignRequest("mailable", segment, MarketableOnly: true, ControlShare: 0.2, Seed: 1), None)).Campaign!;
        var everyone = (await service.CreateAsync(new CampaignRequest("everyone", segment, ControlShare: 0.2, Seed: 1), None)).Campaign!;
        var members = await service.ReadMembersAsync(marketable, None);
        var csv = await ExportAsync(service, "mailable");

        Assert.DoesNotContain(withdrawn, members.Keys);
        // With or without --marketable, a customer who withdrew before creation is never drawn.
        Assert.DoesNotContain(withdrawn, (await service.ReadMembersAsync(everyone, None)).Keys);
        Assert.Equal(ids.Count - 1, (await service.ReadMembersAsync(everyone, None)).Count);
        Assert.Equal(ids.Count - 1, members.Count);
        Assert.DoesNotContain(csv, line => line.StartsWith(withdrawn + ",", StringComparison.Ordinal));
        Assert.Equal(members.Where(m => m.Value == CampaignGroup.Treatment).Select(m => $"{m.Key},{m.Key}@example.com").Order(StringComparer.Ordinal), csv.Skip(1));
        Assert.Equal("customerId,email", csv[0]);

        // A withdrawal after creation keeps the member (the groups stay as drawn) but drops the address.
        var treated = members.Where(m => m.Value == CampaignGroup.Treatment).Select(m => m.Key).Order(StringComparer.Ordinal).ToList();
        await IngestCalls.ContactsAsync(host, $$"""{"customerId":"{{treated[0]}}","marketingConsent":false,"updatedAt":"2024-03-01T00:00:00Z"}""");
        Assert.Contains(treated[0] + ",", await ExportAsync(service, "mailable"));

        // Erase: the member rows in both campaigns and both keyings go; the access export showed them before.
        var erased = treated[1];
        var before = (await host.Get<CustomerPrivacyService>().ExportAsync(erased, None))!;
        var report = await host.Get<CustomerPrivacyService>().EraseAsync(erased, None);
        var tables = host.Get<CrmTables>();

        Assert.Equal(2, before.OtherRecords[tables.CampaignMembers.Name].Count);
        Assert.Equal(2, report.DeletedRows[tables.CampaignIndex.Name]);
        Assert.Equal(2, report.DeletedRows[tables.CampaignMembers.Name]);
        Assert.DoesNotContain(erased, (await service.ReadMembersAsync(marketable, None)).Keys);
        Assert.DoesNotContain(erased, (await service.ReadMembersAsync(everyone, None)).Keys);
        Assert.DoesNotContain(await ExportAsync(service, "mailable"), line => line.StartsWith(erased + ",", StringComparison.Ordinal));
        Assert.Null(await host.Get<CustomerPrivacyService>().ExportAsync(erased, None));
    }

    private static (double P, double Lower, double Upper) Wilson(int x, int n)
    {
        const double Z = 1.959963984540054;
        var p = (double)x / n;
        var centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n);
        var half = Z * Math.Sqrt(p * (1 - p) / n + Z * Z / (4.0 * n * n)) / (1 + Z * Z / n);
        return (p, centre - half, centre + half);
    }

    private static async Task<string[]> ExportAsync(CampaignService service, string name)
    {
        var writer = new StringWriter(new StringBuilder(), CultureInfo.InvariantCulture);
        Assert.True(await service.WriteTreatmentAsync(writer, name, None) >= 0);
        return writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static string Purchase(string id, string customerId, double days, decimal amount)
        => string.Create(CultureInfo.InvariantCulture, $$"""{"transactionId":"{{id}}","customerId":"{{customerId}}","timestamp":"{{CampaignShop.SentAt.AddDays(days):yyyy-MM-ddTHH:mm:ssZ}}","amount":{{amount}},"currency":"USD"}""");

    private static string At(double days) => string.Create(CultureInfo.InvariantCulture, $"{CampaignShop.SentAt.AddDays(days):yyyy-MM-ddTHH:mm:ssZ}");

    private static string Lines(string id, string customerId, double days, decimal amount, decimal discount, string items)
        => string.Create(CultureInfo.InvariantCulture, $$"""{"transactionId":"{{id}}","customerId":"{{customerId}}","timestamp":"{{At(days)}}","amount":{{amount}},"currency":"USD","discountAmount":{{discount}},"items":[{{items}}]}""");

    private static string Refund(string id, string customerId, double days, decimal amount, string refersTo, string? items = null)
        => string.Create(CultureInfo.InvariantCulture, $$"""{"transactionId":"{{id}}","customerId":"{{customerId}}","timestamp":"{{At(days)}}","amount":{{amount}},"currency":"USD","kind":"refund","refersTo":"{{refersTo}}"{{(items is null ? "" : ",\"items\":[" + items + "]")}}}""");
}
