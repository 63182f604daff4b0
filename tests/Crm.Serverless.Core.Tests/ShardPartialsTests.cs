using System.Globalization;
using System.Text;
using Crm.Serverless.Core.Campaigns;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Products;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Discounts;
using Crm.Serverless.Ml.Products;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>
/// Product facts, discount response and campaign figures as per-shard partials (stages 1 and 3) merged in stage 4:
/// the same results as the whole-population pass stage 4 used to make, and no Customers or Scores row read to get them.
/// </summary>
[Collection(AzuriteCollection.Name)]
public class ShardPartialsTests(AzuriteFixture azurite)
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>
    /// 160 customers with seeded lines over 1998 (some after the as-of, to be left out): skus of a small catalogue, unit
    /// costs on most lines, discounts and campaign ids on some orders, and refunds naming lines.
    /// </summary>
    private static async Task StoreLinesAsync(TestHost host, int seed)
    {
        var random = new Random(seed);
        var json = new StringBuilder("[");
        for (var c = 0; c < 160; c++)
        {
            var customer = string.Create(CultureInfo.InvariantCulture, $"L{c:D3}");
            for (var o = 0; o < 1 + random.Next(4); o++)
            {
                var at = new DateTime(1998, 1, 1, 10, 0, 0, DateTimeKind.Utc).AddDays(random.Next(200));
                var items = Enumerable.Range(0, 1 + random.Next(3)).Select(_ => (Sku: "S" + random.Next(8), Quantity: 1 + random.Next(3), Price: 5 + random.Next(26), Cost: random.NextDouble() < 0.7 ? 2 + random.Next(4) : (int?)null))
                    .DistinctBy(i => i.Sku).ToList();
                var gross = items.Sum(i => i.Quantity * i.Price);
                var discount = random.NextDouble() < 0.3 ? Math.Round(gross * 0.2, 2) : 0;
                var lines = string.Join(',', items.Select(i =>
                {
                    var cost = i.Cost is null ? "" : string.Create(CultureInfo.InvariantCulture, $",\"unitCost\":{i.Cost}");
                    return string.Create(CultureInfo.InvariantCulture, $$"""{"sku":"{{i.Sku}}","quantity":{{i.Quantity}},"price":{{i.Price}},"category":"cat{{i.Sku[^1] % 3}}"{{cost}}}""");
                }));
                var id = $"{customer}-{o}";
                json.Append(json.Length > 1 ? "," : "").Append(string.Create(CultureInfo.InvariantCulture, $$"""{"transactionId":"{{id}}","customerId":"{{customer}}","timestamp":"{{at:yyyy-MM-ddTHH:mm:ssZ}}","amount":{{gross - discount}},"currency":"USD","discountAmount":{{discount}}{{(random.NextDouble() < 0.2 ? ",\"campaignId\":\"spring\"" : "")}},"items":[{{lines}}]}"""));
                if (random.NextDouble() < 0.15)
                {
                    var back = items[0];
                    json.Append(',').Append(string.Create(CultureInfo.InvariantCulture, $$"""{"transactionId":"{{id}}-r","customerId":"{{customer}}","timestamp":"{{at.AddDays(3):yyyy-MM-ddTHH:mm:ssZ}}","amount":{{Math.Round(back.Price * (1 - (discount / gross)), 2)}},"currency":"USD","kind":"refund","refersTo":"{{id}}","items":[{"sku":"{{back.Sku}}","quantity":1}]}"""));
                }
            }
        }

        var outcomes = await IngestCalls.TransactionsAsync(host, json.Append(']').ToString());
        Assert.All(outcomes, o => Assert.Equal(IngestStatus.Accepted, o.Status));
    }

    private static async Task<List<IReadOnlyList<Basket>>> AllBasketsAsync(TestHost host)
    {
        var all = new List<IReadOnlyList<Basket>>();
        for (var shard = 0; shard < CrmKeys.ShardCount; shard++)
        {
            all.AddRange(await host.Get<BasketReader>().ReadShardAsync(shard, None));
        }

        return all;
    }

    private static async Task<Campaign> SendCampaignAsync(TestHost host, RunRecord run, DateOnly sentOn)
    {
        var segment = run.Segments.MaxBy(s => s.Customers)!.Segment;
        var created = await host.Get<CampaignService>().CreateAsync(
            new CampaignRequest("partials", segment, ControlShare: 0.4, Seed: 3, SentAt: new DateTimeOffset(sentOn.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)), None);
        Assert.Equal(CampaignCreationStatus.Created, created.Status);
        return created.Campaign!;
    }

    private static void Near(double expected, double actual) => Assert.True(Math.Abs(expected - actual) <= 1e-9 * Math.Max(1, Math.Abs(expected)), $"{expected} vs {actual}");

    private static void Near(double? expected, double? actual)
    {
        Assert.Equal(expected.HasValue, actual.HasValue);
        if (expected is { } e)
        {
            Near(e, actual!.Value);
        }
    }

    private static void Near(GroupFigures expected, GroupFigures actual)
    {
        Assert.Equal((expected.Customers, expected.Responders, expected.RespondersWithoutCost), (actual.Customers, actual.Responders, actual.RespondersWithoutCost));
        Near(expected.Revenue, actual.Revenue);
        Near(expected.RevenuePerCustomer, actual.RevenuePerCustomer);
        Near(expected.MarginPerCustomer, actual.MarginPerCustomer);
    }

    private static void Near(Uplift? expected, Uplift? actual)
    {
        Assert.Equal(expected is null, actual is null);
        if (expected is not null)
        {
            Near(expected.Estimate, actual!.Estimate);
            Near(expected.Lower, actual.Lower);
            Near(expected.Upper, actual.Upper);
        }
    }

    [Fact]
    public async Task MergedPartials_EqualTheWholePopulationPass_ForProductsDiscountsAndCampaigns()
    {
        await using var host = await azurite.StartHostAsync();
        await SeededShop.StoreAsync(host, 500, seed: 13);
        await StoreLinesAsync(host, seed: 13);
        var job = host.Get<NightlyJob>();
        var first = await job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, None);
        var campaign = await SendCampaignAsync(host, first, SeededShop.EndOfData.AddDays(-60));

        var run = await job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, None);

        // The whole-population pass stage 4 used to make: every basket at once, segments from the run's Scores rows,
        // every history for the campaign.
        var asOf = run.AsOf;
        var baskets = await AllBasketsAsync(host);
        var products = new ProductFactsPartial(asOf);
        baskets.ForEach(products.AddCustomer);
        var expectedFacts = products.ToFacts();
        var segments = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var score in host.Get<SegmentReader>().StreamAsync(run, null, None))
        {
            segments[score.CustomerId] = score.Segment;
        }

        var end = asOf.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var discounts = new DiscountResponsePartial();
        foreach (var customer in baskets.Select(c => c.Where(b => b.TimestampUtc < end).ToList()).Where(c => c.Count > 0))
        {
            discounts.Add(segments.GetValueOrDefault(customer[0].CustomerId) ?? ProductFactsService.Unscored, DiscountProfile.Of(customer));
        }

        var expectedDiscounts = discounts.ToResponse();
        var asOfEnd = new DateTimeOffset(NightPlan.AsOfEnd(asOf), TimeSpan.Zero);
        var (from, to, _, _) = CampaignFigures.Window(campaign, CampaignFigures.DefaultWindowDays, asOfEnd);
        var members = await host.Get<CampaignService>().ReadMembersAsync(campaign, None);
        var tally = CampaignTally.Of(members, await host.Get<HistoryReader>().ReadAllAsync(None), baskets, from, to);
        var expectedCampaign = CampaignFigures.Compute(campaign, tally, CampaignFigures.DefaultWindowDays, asOfEnd, "USD");

        var facts = (await host.Get<ProductFactsService>().ReadProductsAsync(run.RunId, None))!;
        var response = (await host.Get<ProductFactsService>().ReadDiscountsAsync(run.RunId, None))!;
        var figures = Assert.Single((await host.Get<CampaignRunFigures>().ReadAsync(run.RunId, None))!);

        Assert.Equal(8, facts.Products.Count);
        Assert.Equal(expectedFacts.Products.Select(p => (p.Sku, p.Category, p.Units, p.Orders, p.Buyers, p.RepeatBuyerRate, p.RefundRate)), facts.Products.Select(p => (p.Sku, p.Category, p.Units, p.Orders, p.Buyers, p.RepeatBuyerRate, p.RefundRate)));
        foreach (var (expected, actual) in expectedFacts.Products.Zip(facts.Products))
        {
            Near(expected.Revenue, actual.Revenue);
            Near(expected.Margin, actual.Margin);
            Near(expected.CostCoverage, actual.CostCoverage);
            Near(expected.Trend, actual.Trend);
        }

        Assert.Equal(expectedFacts.Tops, facts.Tops);
        Assert.Equal(expectedFacts.Flops, facts.Flops);
        Assert.True(facts.Products.Any(p => p.RefundRate > 0) && facts.Products.All(p => p.CostCoverage is > 0 and < 1), "the fixture has refunds and partly costed skus");

        Assert.Equal((expectedDiscounts.Customers, expectedDiscounts.DiscountedOrders, expectedDiscounts.DealSeekers, expectedDiscounts.MostResponsive), (response.Customers, response.DiscountedOrders, response.DealSeekers, response.MostResponsive));
        Assert.Equal(expectedDiscounts.Segments.Select(s => (s.Segment, s.Customers, s.Orders, s.DealSeekers)), response.Segments.Select(s => (s.Segment, s.Customers, s.Orders, s.DealSeekers)));
        foreach (var (expected, actual) in expectedDiscounts.Segments.Zip(response.Segments))
        {
            Near(expected.DiscountedOrderShare, actual.DiscountedOrderShare);
            Near(expected.AverageDepth, actual.AverageDepth);
            Near(expected.CampaignOrderShare, actual.CampaignOrderShare);
        }

        Assert.True(response.DiscountedOrders > 0 && response.Segments.Count > 1);
        Assert.Equal(campaign.Name, figures.Name);
        Near(expectedCampaign.Treatment, figures.Treatment);
        Near(expectedCampaign.Control, figures.Control);
        Near(expectedCampaign.ResponseUplift, figures.ResponseUplift);
        Near(expectedCampaign.RevenueUplift, figures.RevenueUplift);
        Assert.Equal(expectedCampaign.MarginNote, figures.MarginNote);
        Assert.True(figures.Treatment.Responders > 0 && figures.Treatment.Customers == campaign.Treatment, "the campaign's members bought in the window");

        // The per-shard hand-offs (the profiles hold ids) are gone once the run completes, their container with them;
        // the report is rendered from what stage 5 stored.
        var tables = host.Get<CrmTables>();
        Assert.False(await host.Get<NightlyArtefacts>().Blob(NightlyArtefacts.DiscountProfiles(run.RunId, 0)).ExistsAsync());
        Assert.False(await host.Get<NightlyArtefacts>().Blob(NightlyArtefacts.Facts(run.RunId, 0)).ExistsAsync());
        Assert.False(await tables.RunScratch(run.RunId).ExistsAsync());
        Assert.True(await tables.RunResults.GetBlobClient(NightlyArtefacts.ReportInputs(run.RunId)).ExistsAsync());
    }

    /// <summary>
    /// A backfill (not published): stage 4 merges the partials without a request to the Customers table, the run's
    /// Scores or the campaign members.
    /// </summary>
    [Fact]
    public async Task RunArtefacts_ReadNoCustomersScoresOrMembersRows()
    {
        await using var host = await azurite.StartHostAsync();
        await SeededShop.StoreAsync(host, 500, seed: 17);
        await StoreLinesAsync(host, seed: 17);
        var job = host.Get<NightlyJob>();
        var tables = host.Get<CrmTables>();
        var counter = host.Get<StorageRequestCounter>();
        var current = await job.RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, None);
        await SendCampaignAsync(host, current, SeededShop.EndOfData.AddDays(-40));
        var run = await job.StartAsync(SeededShop.EndOfData.AddDays(-5), None);
        var plan = await host.Get<NightlyArtefacts>().ReadAsync<NightPlan>(NightlyArtefacts.Plan(run.RunId), None);
        foreach (var stage in new[] { NightStage.SummariseShard, NightStage.FitModels, NightStage.ScoreShard })
        {
            await job.RunStageAsync(plan, stage, 4, None);
        }

        string[] untouched = [tables.Customers.Name, tables.RunScores(plan.RunId).Name, tables.RunScores(current.RunId).Name, tables.CampaignMembers.Name, tables.CampaignIndex.Name];
        var before = untouched.Select(counter.RequestsTo).ToList();
        var figures = await job.RunStageAsync(plan, NightStage.RunArtefacts, 1, None);

        Assert.False(plan.Publish);
        Assert.Equal(before, untouched.Select(counter.RequestsTo));
        Assert.True(before[0] >= CrmKeys.ShardCount, "stages 1 to 3 read every partition of the Customers table");
        // Two partials per shard, then the run record, the campaign records, the currency and the artefacts written.
        Assert.InRange(figures.Requests, 2 * CrmKeys.ShardCount, 2 * CrmKeys.ShardCount + 20);
        Assert.Equal(8, (await host.Get<ProductFactsService>().ReadProductsAsync(plan.RunId, None))!.Products.Count);
        Assert.True((await host.Get<ProductFactsService>().ReadDiscountsAsync(plan.RunId, None))!.Customers > 0);
        Assert.True(Assert.Single((await host.Get<CampaignRunFigures>().ReadAsync(plan.RunId, None))!).Treatment.Customers > 0);
    }
}
