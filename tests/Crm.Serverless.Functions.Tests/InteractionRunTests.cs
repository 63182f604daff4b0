using Crm.Serverless.Core.Nightly;
using Azure.Storage.Queues.Models;
using Crm.Serverless.Core.Export;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Core.Privacy;
using Crm.Serverless.Reporting;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Functions.Queues;
using Crm.Serverless.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Crm.Serverless.Functions.Tests.InteractionTests;

namespace Crm.Serverless.Functions.Tests;

/// <summary>Issue 15: interactions in the nightly run's artefact, report and segment CSV; their subjects in no log line.</summary>
[Collection(AzuriteCollection.Name)]
public class InteractionRunTests(AzuriteFixture azurite)
{
    private const string Subject = "Quixotic complaint about the blue kettle";

    [Fact]
    public async Task NightlyRun_WritesTheInteractionArtefact_ReportSection_AndSegmentCsvColumns()
    {
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions());
        await SeededShop.StoreAsync(host, 400, seed: 15);
        var customers = (await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Customers)).Where(r => CrmKeys.IsCustomerRow(r.RowKey)).Select(r => CrmKeys.CustomerIdOf(r.RowKey)).Take(6).ToList();
        var end = new DateTimeOffset(SeededShop.EndOfData.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero);
        var sends = customers.SelectMany((c, k) => Enumerable.Range(0, 4).Select(n => Json($"i-{n}", c, end.AddDays(-7 * n - k), n == 3 ? "email" : "phone", "inbound", n == 0 ? "complaint" : "inquiry", subject: Subject)));
        Assert.Equal(200, (await PostAsync(host, "[" + string.Join(',', sends) + "]")).Status);

        var run = await host.Get<NightlyJob>().RunAsync(SeededShop.EndOfData, train: true, parallelism: 4, CancellationToken.None);
        var activity = await host.Get<InteractionActivityStore>().GetAsync(run.RunId, CancellationToken.None);
        var html = await host.Get<RunReportStore>().GetAsync(run.RunId, CancellationToken.None);
        var segment = (await host.Get<CustomerReader>().ReadScoresAsync(run.RunId, CrmKeys.ShardOf(customers[0]), CancellationToken.None))[customers[0]].Segment;
        var csv = new StringWriter();
        await host.Get<CustomerCsvExporter>().WriteSegmentAsync(csv, segment, CancellationToken.None);

        Assert.NotNull(activity);
        Assert.Equal(24, activity.Interactions);
        Assert.Equal(6, activity.CustomersWithInteractions);
        Assert.Equal(18, activity.ByChannel.Single(c => c.Channel == "phone").Counts.Sum());
        Assert.Equal(6, activity.ByChannel.Single(c => c.Channel == "email").Counts.Sum());
        Assert.Equal(6, activity.Segments.Sum(s => s.WithComplaint));
        Assert.Equal(run.Customers, activity.Segments.Sum(s => s.Customers));
        Assert.Contains("id=\"interactions\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"complaints-table\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain(Subject, html, StringComparison.Ordinal);
        var lines = csv.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r').Split(',')).ToList();
        var header = lines[0].ToList();
        var row = lines.Single(l => l[0] == customers[0]);
        Assert.Equal("phone", row[header.IndexOf("channelAffinity")]);
        Assert.Equal("1", row[header.IndexOf("openComplaints")]);
    }

    [Fact]
    public async Task IngestReadExportErase_ThroughEveryDoor_LogNoSubjectText()
    {
        var capture = new LogCapture();
        await using var host = await azurite.StartHostAsync(builder =>
        {
            builder.AddCrmFunctions();
            builder.Logging.AddProvider(capture);
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
        });
        var at = DateTimeOffset.UtcNow.AddDays(-1);
        var good = Json("i-1", "pii-1", at, "chat", "inbound", "complaint", subject: Subject);

        // HTTP: stored, retried, conflicting, invalid (bad channel, subject too long).
        foreach (var body in new[] { good, good, Json("i-1", "pii-1", at, "phone", subject: Subject), Json("i-2", "pii-1", at, "fax", subject: Subject + new string('!', 200)) })
        {
            await PostAsync(host, body);
        }

        // Queue: valid, invalid item, conflict, and a message that is not JSON but carries the text.
        var queue = host.Create<IngestQueueTrigger>();
        await queue.Run(QueuesModelFactory.QueueMessage("m1", "p", BinaryData.FromString($$"""{"type":"interaction","data":[{{Json("i-3", "pii-2", at, subject: Subject)}},{{Json("i-4", "pii-2", at, "fax", subject: Subject)}},{{Json("i-1", "pii-1", at, subject: "other " + Subject)}}]}"""), 1), CancellationToken.None);
        await queue.Run(QueuesModelFactory.QueueMessage("m2", "p", BinaryData.FromString($$"""{"type":"interaction","data":{"subject":"{{Subject}}" """), 1), CancellationToken.None);

        // CSV import: one good row, one bad, one conflicting.
        var file = Path.Combine(Directory.CreateTempSubdirectory("crm-pii-").FullName, "interactions.csv");
        await File.WriteAllLinesAsync(file, ["interactionId,customerId,timestamp,channel,direction,type,subject", $"i-5,pii-3,2024-01-01,email,inbound,feedback,{Subject}", $"i-6,pii-3,2024-01-01,fax,inbound,feedback,{Subject}", $"i-1,pii-1,2024-01-01,email,inbound,feedback,{Subject}"]);
        var import = await host.Services.GetRequiredService<InteractionImportService>().ImportAsync(file, null, 2, 1000, null, CancellationToken.None);

        // Read, export and erase.
        var get = HttpCall.Request("GET", "/api/customers/pii-1");
        var view = await HttpCall.ExecuteAsync(await host.Create<CustomersHttp>().Get(get, "pii-1", CancellationToken.None), get);
        await host.Get<CustomerCsvExporter>().WriteAllAsync(new StringWriter(), CancellationToken.None);
        var export = await host.Get<CustomerPrivacyService>().ExportAsync("pii-1", CancellationToken.None);
        await host.Get<CustomerPrivacyService>().EraseAsync("pii-1", CancellationToken.None);

        Assert.Contains(Subject, view.Text, StringComparison.Ordinal);
        Assert.NotNull(export);
        Assert.Equal((1, 2), (import.Stored, import.Rejections.Count));
        Assert.NotEmpty(capture.Lines);
        var leaks = capture.Lines.Where(line => line.Contains("Quixotic", StringComparison.OrdinalIgnoreCase) || line.Contains("kettle", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(leaks.Count == 0, "Subject text in logs:\n" + string.Join("\n", leaks));
    }
}
