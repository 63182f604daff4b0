using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests.Campaigns;

/// <summary>A seeded shop with one complete run (BG/NBD scores, no training): the segments a campaign targets.</summary>
internal static class CampaignShop
{
    /// <summary>The send date of the fixture campaigns: the day after the seeded data ends.</summary>
    public static readonly DateTimeOffset SentAt = new(SeededShop.EndOfData.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    public static async Task<(TestHost Host, RunRecord Run)> StartAsync(AzuriteFixture azurite, int customers = 500)
    {
        var host = await azurite.StartHostAsync();
        await SeededShop.StoreAsync(host, customers, seed: 21);
        var run = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);
        return (host, run);
    }

    public static string LargestSegment(RunRecord run) => run.Segments.MaxBy(s => s.Customers)!.Segment;

    public static async Task<List<string>> SegmentCustomersAsync(TestHost host, RunRecord run, string segment)
    {
        var ids = new List<string>();
        await foreach (var score in host.Get<SegmentReader>().StreamWithConsentAsync(run, segment, marketableOnly: false, CancellationToken.None))
        {
            ids.Add(score.CustomerId);
        }

        return ids;
    }
}
