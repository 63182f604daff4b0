using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Reporting;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>
/// One seeded shop with a few known contacts and a rejected item, run through the nightly job once; the report it
/// published and the data behind it are shared by the report tests (a nightly run is the slow part).
/// </summary>
public sealed record SeededReport(
    RunRecord Run,
    RunReport Report,
    string Html,
    IReadOnlyList<CustomerHistory> Histories,
    int ContactsWithPurchases,
    IReadOnlyList<string> PersonalValues)
{
    public const string RejectedAttributeKey = "loyaltySecretKey";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static SeededReport? _shared;

    public static async Task<SeededReport> GetAsync(AzuriteFixture azurite)
    {
        ArgumentNullException.ThrowIfNull(azurite);
        await Gate.WaitAsync();
        try
        {
            return _shared ??= await CreateAsync(azurite);
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<SeededReport> CreateAsync(AzuriteFixture azurite)
    {
        await using var host = await azurite.StartHostAsync();
        await SeededShop.StoreAsync(host, 1500, seed: 17);
        var histories = await host.Get<HistoryReader>().ReadAllAsync(CancellationToken.None);

        // Two buyers share one address up to case and spaces (one duplicate group); one contact has bought nothing.
        var contacts = new[]
        {
            new Contact(histories[0].CustomerId, "ada.lovelace.report@example.com", "Ada", "Lovelace", "GB", null, true, new Dictionary<string, string>()),
            new Contact(histories[1].CustomerId, "  Ada.Lovelace.Report@Example.COM ", "Augusta", "Byron", "GB", null, true, new Dictionary<string, string>()),
            new Contact("report-contact-only", "grace.hopper.report@example.com", "Grace", "Hopper", "US", null, false, new Dictionary<string, string>()),
        };
        await host.Get<IngestService>().WriteAsync([.. contacts.Select(PendingWrite.Of)], StateLoad.PerCustomer, IngestSource.Import, 1, null, CancellationToken.None);
        await host.Get<RejectedItemStore>().RecordAsync(
            [new RejectedItem(IngestSource.Http, "contact", "msg-1", 3, "bad-id", IngestStatus.Rejected, [new FieldError($"items[3].attributes.{RejectedAttributeKey}", "must be a string, number or boolean")], "{\"email\":\"leaked.payload@example.com\"}")],
            CancellationToken.None);

        // The shop is simulated by the BG/NBD process itself, so a trained model rarely beats the BG/NBD baseline and the
        // gate refuses it. The report's model checks need promoted models, so each target's version is promoted by hand.
        var table = PurchaseTable.From(histories);
        foreach (var target in Enum.GetValues<PropensityTarget>())
        {
            var trained = await host.Get<ModelTrainingService>().TrainAsync(table, NightPlan.AsOfEnd(SeededShop.EndOfData), target, CancellationToken.None);
            await host.Get<ModelRegistry>().PromoteAsync(trained.Version!, CancellationToken.None);
        }

        var run = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: false, parallelism: 4, CancellationToken.None);
        var html = await host.Get<RunReportStore>().GetAsync(run.RunId, CancellationToken.None)
            ?? throw new InvalidOperationException("The completed run published no report.");
        var report = await host.Get<RunReportBuilder>().BuildAsync(run, CancellationToken.None);
        string[] personal = [.. contacts.SelectMany(c => new[] { c.Email!.Trim(), c.FirstName!, c.LastName! }), "leaked.payload@example.com"];
        return new SeededReport(run, report, html, histories, 2, personal);
    }
}
