using System.Globalization;
using System.Text;
using Azure.Storage.Queues.Models;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Functions.Queues;
using Crm.Serverless.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Xunit.Abstractions;

namespace Crm.Serverless.Functions.Tests;

/// <summary>
/// Issue 8: seeded hostile inputs to every HTTP function and the queue trigger. Each must be refused with a 4xx
/// (on the queue: recorded as rejected, no exception), never a 5xx or a crash, and nothing may be written to the
/// Customers table. CRM_FUZZ_COUNT sets the number (2,000 in the normal run); CRM_FUZZ_SEED the seed.
/// </summary>
[Collection(AzuriteCollection.Name)]
public class HostileInputTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    private const int DefaultCount = 2_000;
    private const int DefaultSeed = 20_261_129;
    private const int MaxBodyBytes = 64 * 1024;
    private const int MaxBatchItems = 50;

    private static int Setting(string name, int fallback)
        => int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

    [Fact]
    public async Task HostileInputs_AreAllRefusedWith4xxOrRecordedAsRejected_AndNothingIsStored()
    {
        var count = Setting("CRM_FUZZ_COUNT", DefaultCount);
        var seed = Setting("CRM_FUZZ_SEED", DefaultSeed);
        await using var host = await azurite.StartHostAsync(builder => builder.AddCrmFunctions(), new Dictionary<string, string?>
        {
            ["Ingest:MaxBodyBytes"] = MaxBodyBytes.ToString(CultureInfo.InvariantCulture),
            ["Ingest:MaxBatchItems"] = MaxBatchItems.ToString(CultureInfo.InvariantCulture),
        });
        var tables = host.Get<CrmTables>();
        await SeedAsync(host);
        var before = await SnapshotAsync(tables);

        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var failures = new List<string>();
        var queueIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in new HostileInputs(seed, MaxBodyBytes, MaxBatchItems).Generate(count))
        {
            string outcome;
            try
            {
                outcome = await SendAsync(host, input, queueIds);
            }
            catch (Exception exception)
            {
                outcome = "exception " + exception.GetType().Name;
                failures.Add($"#{input.Number} {input.Door} [{input.Kind}]: {exception.GetType().Name}: {exception.Message} <- {Describe(input)}");
            }

            var refused = outcome == "rejected" || (outcome.Length == 3 && outcome[0] == '4');
            if (!refused && !outcome.StartsWith("exception", StringComparison.Ordinal))
            {
                failures.Add($"#{input.Number} {input.Door} [{input.Kind}]: {outcome} <- {Describe(input)}");
            }

            // The figures group by status alone; an exception's message stays in the failure list.
            outcome = outcome.Split(' ')[0];
            var key = $"{input.Door}: {outcome}";
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
        }

        var byStatus = outcomes.GroupBy(pair => pair.Key[(pair.Key.IndexOf(':', StringComparison.Ordinal) + 2)..]).ToDictionary(g => g.Key, g => g.Sum(p => p.Value));
        output.WriteLine($"Hostile inputs: {count} (seed {seed}); by outcome: " + string.Join(", ", byStatus.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}: {p.Value}")));
        output.WriteLine("By door: " + string.Join("; ", outcomes.Select(p => $"{p.Key} = {p.Value}")));
        foreach (var failure in failures.Take(20))
        {
            output.WriteLine(failure);
        }

        Assert.Empty(failures);
        Assert.Equal(before, await SnapshotAsync(tables));

        // Every queue input left a rejected record under its own message id, and only queue inputs did.
        var references = (await StorageRecount.AllRowsAsync(tables.Rejected)).Select(row => row.GetString("Reference")).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(queueIds.Order(StringComparer.Ordinal), references.Order(StringComparer.Ordinal));
    }

    /// <summary>Valid customers the hostile inputs must leave exactly as they are (an injected filter would reach them).</summary>
    private static async Task SeedAsync(TestHost host)
    {
        for (var c = 0; c < 5; c++)
        {
            var body = "[" + string.Join(',', Enumerable.Range(0, 3).Select(t => $$"""{"transactionId":"seed-t{{t}}","customerId":"seed-{{c}}","timestamp":"2024-05-01T14:30:00Z","amount":{{t + 1}},"currency":"USD"}""")) + "]";
            var request = HttpCall.Request("POST", "/api/transactions", body);
            Assert.Equal(200, (await HttpCall.InvokeAsync(request, r => host.Create<TransactionsHttp>().Post(r, CancellationToken.None))).Status);
            var contact = HttpCall.Request("POST", "/api/contacts", $$"""{"customerId":"seed-{{c}}","email":"seed{{c}}@example.com"}""");
            Assert.Equal(201, (await HttpCall.InvokeAsync(contact, r => host.Create<ContactsHttp>().Post(r, CancellationToken.None))).Status);
        }
    }

    /// <summary>Every row's keys and ETag: any write, even one that rewrites a row unchanged, changes the ETag.</summary>
    internal static async Task<List<string>> SnapshotAsync(CrmTables tables)
        => [.. (await StorageRecount.AllRowsAsync(tables.Customers)).Select(row => $"{row.PartitionKey}/{row.RowKey}/{row.ETag}").Order(StringComparer.Ordinal)];

    private static async Task<string> SendAsync(TestHost host, HostileInput input, HashSet<string> queueIds)
    {
        if (input.Door == Door.Queue)
        {
            var id = "fz-" + input.Number.ToString(CultureInfo.InvariantCulture);
            queueIds.Add(id);

            // As the host delivers it: bytes off the queue, decoded by the trigger itself.
            await host.Create<IngestQueueTrigger>().Run(QueuesModelFactory.QueueMessage(id, "pop", BinaryData.FromBytes(input.Body), 1), CancellationToken.None);
            return "rejected";
        }

        var (method, path, function) = input.Door switch
        {
            Door.PostTransactions => ("POST", "/api/transactions", (Func<HttpRequest, Task<IActionResult>>)(r => host.Create<TransactionsHttp>().Post(r, CancellationToken.None))),
            Door.PostContacts => ("POST", "/api/contacts", r => host.Create<ContactsHttp>().Post(r, CancellationToken.None)),
            Door.GetCustomer => ("GET", "/api/customers/x", r => host.Create<CustomersHttp>().Get(r, input.CustomerId, CancellationToken.None)),
            Door.EraseCustomer => ("POST", "/api/privacy/erase", r => host.Create<PrivacyHttp>().Erase(r, CancellationToken.None)),
            _ => ("POST", "/api/privacy/export", r => host.Create<PrivacyHttp>().Export(r, CancellationToken.None)),
        };
        var request = HttpCall.Request(method, path, input.Door is Door.GetCustomer ? null : new MemoryStream(input.Body), input.ContentType, input.ContentLength);
        Exception? thrown = null;
        var response = await HttpCall.InvokeAsync(request, function, input.Door.ToString(), exception => thrown = exception);
        if (thrown is not null)
        {
            return $"{response.Status} after {thrown.GetType().Name}: {thrown.Message}";
        }

        if (response.Status is >= 400 and < 500 && !response.ContentType.StartsWith("application/problem+json", StringComparison.Ordinal))
        {
            return $"{response.Status} without problem details";
        }

        return response.Status.ToString(CultureInfo.InvariantCulture);
    }

    private static string Describe(HostileInput input)
    {
        var text = input.Door is Door.GetCustomer or Door.EraseCustomer or Door.ExportCustomer ? input.CustomerId : Encoding.UTF8.GetString(input.Body);
        return (text.Length > 200 ? text[..200] + "..." : text).Replace("\n", "\\n", StringComparison.Ordinal);
    }
}
