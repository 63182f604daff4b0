using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Simulation;

namespace Crm.Serverless.Testing;

/// <summary>A seeded synthetic shop (BG/NBD + Gamma-Gamma), stored through the same writer the app uses.</summary>
public static class SeededShop
{
    public static readonly DateOnly EndOfData = new(1998, 6, 30);

    /// <param name="heavyTailedSpend">
    /// Scales each customer's amounts by a factor spread evenly over five orders of magnitude: spend so heavy-tailed
    /// that the Gamma-Gamma fit is degenerate (q &lt;= 1).
    /// </param>
    /// <returns>The number of customers stored.</returns>
    public static async Task<int> StoreAsync(TestHost host, int customers, int seed = 7, bool heavyTailedSpend = false)
    {
        ArgumentNullException.ThrowIfNull(host);
        var options = new ShopSimulationOptions { Customers = customers, Seed = seed, ObservationWeeks = 78, R = 0.6, Alpha = 5 };
        var end = EndOfData.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc);
        var writes = new List<PendingWrite>();
        var stored = 0;
        var levels = new Random(seed);
        foreach (var customer in ShopSimulator.Simulate(options))
        {
            var level = heavyTailedSpend ? Math.Round(Math.Pow(10, 5 * levels.NextDouble()), 2) : 1;
            var purchases = customer.History.Purchases.Where(p => p.TimestampUtc <= end).ToList();
            stored += purchases.Count > 0 ? 1 : 0;
            for (var i = 0; i < purchases.Count; i++)
            {
                writes.Add(PendingWrite.Of(new Transaction(
                    $"{customer.History.CustomerId}-{i}",
                    customer.History.CustomerId,
                    new DateTimeOffset(purchases[i].TimestampUtc, TimeSpan.Zero),
                    heavyTailedSpend ? Math.Round((decimal)(purchases[i].Amount * level), 2) : (decimal)purchases[i].Amount,
                    "USD",
                    1,
                    [])));
            }
        }

        await host.Get<IngestService>().WriteAsync(writes, StateLoad.WholePartition, IngestSource.Import, 4, null, CancellationToken.None);
        return stored;
    }
}
