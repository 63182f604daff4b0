using Azure.Storage.Queues.Models;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Functions.Queues;
using Crm.Serverless.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Functions.Tests;

/// <summary>Emails and names go to storage for the shop's use, never to logs.</summary>
[Collection(AzuriteCollection.Name)]
public class PersonalDataLoggingTests(AzuriteFixture azurite)
{
    private static readonly string[] PersonalData = ["zelda.quixotic@example.com", "Zelda", "Quixotic", "zelda.q@"];

    [Fact]
    public async Task IngestAndRead_ThroughEveryDoor_LogNoPersonalData()
    {
        var capture = new LogCapture();
        await using var host = await azurite.StartHostAsync(builder =>
        {
            builder.AddCrmFunctions();
            builder.Logging.AddProvider(capture);
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
        });
        var contact = """{"customerId":"pii-1","email":"zelda.quixotic@example.com","firstName":"Zelda","lastName":"Quixotic","country":"GB"}""";

        // HTTP: stored, retried, conflicting, invalid.
        foreach (var body in new[]
        {
            contact,
            contact,
            contact.Replace("GB", "FR", StringComparison.Ordinal),
            """{"customerId":"pii-2","email":"zelda.q@ broken","firstName":"Zelda"}""",
        })
        {
            var request = HttpCall.Request("POST", "/api/contacts", body);
            await HttpCall.ExecuteAsync(await host.Create<ContactsHttp>().Post(request, CancellationToken.None), request);
        }

        // Queue: valid, invalid item, unparseable message that still carries the data.
        var queue = host.Create<IngestQueueTrigger>();
        await queue.Run(QueuesModelFactory.QueueMessage("m1", "p", BinaryData.FromString($$"""{"type":"contact","data":[{"customerId":"pii-3","email":"zelda.quixotic@example.com","lastName":"Quixotic"},{"customerId":"pii-4","email":"Zelda Quixotic"}]}"""), 1), CancellationToken.None);
        await queue.Run(QueuesModelFactory.QueueMessage("m2", "p", BinaryData.FromString("""{"type":"contact","data":{"customerId":"pii-5","email":"zelda.quixotic@example.com" """), 1), CancellationToken.None);

        // Import with a contacts file, one good and one bad row.
        var folder = Directory.CreateTempSubdirectory("crm-pii-").FullName;
        var transactions = Path.Combine(folder, "t.csv");
        var contacts = Path.Combine(folder, "c.csv");
        await File.WriteAllLinesAsync(transactions, ["transactionId,customerId,timestamp,amount,currency", "t1,pii-6,2024-01-01,5.00,USD"]);
        await File.WriteAllLinesAsync(contacts, ["customerId,email,firstName,lastName", "pii-6,zelda.quixotic@example.com,Zelda,Quixotic", "pii-7,zelda.q@,Zelda,Quixotic"]);
        await host.Services.GetRequiredService<ImportService>().ImportAsync(new ImportRequest(transactions, contacts), null, CancellationToken.None);
        Directory.Delete(folder, recursive: true);

        // Read it back.
        var get = HttpCall.Request("GET", "/api/customers/pii-1");
        var view = await HttpCall.ExecuteAsync(await host.Create<CustomersHttp>().Get(get, "pii-1", CancellationToken.None), get);

        Assert.Contains("Zelda", view.Text, StringComparison.Ordinal);
        Assert.NotEmpty(capture.Lines);
        var leaks = capture.Lines.Where(line => PersonalData.Any(value => line.Contains(value, StringComparison.OrdinalIgnoreCase))).ToList();
        Assert.True(leaks.Count == 0, "Personal data in logs:\n" + string.Join("\n", leaks));
    }
}
