using Azure.Data.Tables;
using Azure.Storage.Queues.Models;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Functions.Queues;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Functions.Tests;

[Collection(AzuriteCollection.Name)]
public class IngestQueueTests(AzuriteFixture azurite)
{
    private const string Purchase = """{"type":"transaction","data":{"transactionId":"t1","customerId":"c1","timestamp":"2024-05-01T14:30:00Z","amount":12.50,"currency":"USD"}}""";

    private static QueueMessage Message(string text, string id = "m1", long dequeueCount = 1)
        => QueuesModelFactory.QueueMessage(id, "pop", BinaryData.FromString(text), dequeueCount);

    [Fact]
    public async Task Run_MessageRedelivered_StoresItOnce()
    {
        await using var host = await azurite.StartHostAsync();
        var trigger = host.Create<IngestQueueTrigger>();

        await trigger.Run(Message(Purchase), CancellationToken.None);
        await trigger.Run(Message(Purchase, dequeueCount: 2), CancellationToken.None);
        await trigger.Run(Message(Purchase, id: "m2"), CancellationToken.None);

        var recount = await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers);
        Assert.Equal(1, recount["c1"].Purchases);
        Assert.Equal(1, recount["c1"].Customer!.PurchaseCount);
        Assert.Empty(await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Rejected));
    }

    [Theory]
    [InlineData("not json at all", "message")]
    [InlineData("""{"data":{}}""", "type")]
    [InlineData("""{"type":"refund","data":{}}""", "type")]
    [InlineData("""{"type":"transaction"}""", "data")]
    [InlineData("""{"type":"transaction","data":[]}""", "data")]
    public async Task Run_InvalidMessage_IsRecordedWithItsReasonAndCompletes(string text, string field)
    {
        await using var host = await azurite.StartHostAsync();

        await host.Create<IngestQueueTrigger>().Run(Message(text, "bad-1"), CancellationToken.None);
        await host.Create<IngestQueueTrigger>().Run(Message(text, "bad-1", dequeueCount: 2), CancellationToken.None);

        var rejected = Assert.Single(await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Rejected));
        Assert.StartsWith(field + ":", rejected.GetString("Reason"), StringComparison.Ordinal);
        Assert.Equal(RejectedItemStore.UnattributedPartition, rejected.PartitionKey);
        Assert.Equal(text, rejected.GetString("Payload"));
    }

    [Fact]
    public async Task Run_InvalidUtf8Bytes_AreRejectedNotDecodedIntoAnIdNobodySent()
    {
        // Found by the hostile-input fuzzer: decoding replaced the bad bytes with U+FFFD and stored customer "\uFFFDc1".
        await using var host = await azurite.StartHostAsync();
        byte[] body = [.. "{\"type\":\"transaction\",\"data\":{\"transactionId\":\"t1\",\"customerId\":\""u8, 0xC3, 0x28, .. "c1\",\"timestamp\":\"2024-05-01T14:30:00Z\",\"amount\":1,\"currency\":\"USD\"}}"u8];

        await host.Create<IngestQueueTrigger>().Run(QueuesModelFactory.QueueMessage("utf8", "pop", BinaryData.FromBytes(body), 1), CancellationToken.None);

        Assert.Empty(await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Customers));
        var rejected = Assert.Single(await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Rejected));
        Assert.Equal("message: is not valid UTF-8", rejected.GetString("Reason"));
    }

    [Theory]
    [InlineData("""{"type":"\uD800","data":{}}""", "type")]
    [InlineData("""{"type":"contact","data":{"customerId":"c1","attributes":{"\uD800":"x"}}}""", "message")]
    [InlineData("""{"type":"transaction","data":{"transactionId":"t1","customerId":"a\udc00b","timestamp":"2024-05-01T14:30:00Z","amount":1,"currency":"USD"}}""", "customerId")]
    public async Task Run_LoneSurrogateEscapes_AreRecordedAsRejectedNotThrown(string text, string field)
    {
        // Found by the fuzzer: System.Text.Json throws InvalidOperationException reading these, which made the
        // message fail five times and land in the poison queue instead of the Rejected table.
        await using var host = await azurite.StartHostAsync();

        await host.Create<IngestQueueTrigger>().Run(Message(text, "surrogate"), CancellationToken.None);

        var rejected = Assert.Single(await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Rejected));
        Assert.Contains(field, rejected.GetString("Reason"), StringComparison.Ordinal);
        Assert.Empty(await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Customers));
    }

    [Fact]
    public async Task Run_BatchWithBadAndConflictingItems_StoresGoodOnesAndRecordsTheRest()
    {
        await using var host = await azurite.StartHostAsync();
        var trigger = host.Create<IngestQueueTrigger>();
        await trigger.Run(Message(Purchase, "m0"), CancellationToken.None);
        var batch = """
            {"type":"transaction","data":[
              {"transactionId":"t1","customerId":"c1","timestamp":"2024-05-01T14:30:00Z","amount":99,"currency":"USD"},
              {"transactionId":"t2","customerId":"c1","timestamp":"2024-05-02T14:30:00Z","amount":-1,"currency":"USD"},
              {"transactionId":"t3","customerId":"c2","timestamp":"2024-05-03T14:30:00Z","amount":3,"currency":"USD"}]}
            """;

        await trigger.Run(Message(batch, "m1"), CancellationToken.None);

        var rejected = await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Rejected);
        Assert.Equal(2, rejected.Count);
        Assert.Contains(rejected, r => r.GetString("Status") == "Conflict" && r.GetString("CustomerId") == "c1");
        Assert.Contains(rejected, r => r.GetString("Status") == "Rejected" && r.GetString("Reason")!.Contains("[1].amount", StringComparison.Ordinal));
        Assert.All(rejected, r => Assert.Equal(CrmKeys.PartitionOf("c1"), r.PartitionKey));
        var recount = await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers);
        Assert.Equal(1, recount["c2"].Purchases);
        Assert.Equal(12.50m, Core.Domain.Money.FromScaled(recount["c1"].TotalScaled));
    }

    [Fact]
    public async Task Run_ContactMessage_StoresTheContact()
    {
        await using var host = await azurite.StartHostAsync();

        await host.Create<IngestQueueTrigger>().Run(Message("""{"type":"contact","data":[{"customerId":"k1","country":"DE"},{"customerId":"k2"}]}"""), CancellationToken.None);

        var counts = await host.Get<CustomerReader>().CountAsync(CancellationToken.None);
        Assert.Equal(new StoredCounts(2, 0, 2), counts);
    }

    [Fact]
    public async Task Run_StorageUnavailable_ThrowsSoTheHostRetries()
    {
        await using var host = await azurite.StartHostAsync();
        await host.Get<CrmTables>().Customers.DeleteAsync();

        // A missing table stands in for storage that fails: the function must throw, never swallow the message.
        await Assert.ThrowsAnyAsync<Azure.RequestFailedException>(() => host.Create<IngestQueueTrigger>().Run(Message(Purchase), CancellationToken.None));
        await host.Get<CrmTables>().Customers.CreateIfNotExistsAsync();
    }
}
