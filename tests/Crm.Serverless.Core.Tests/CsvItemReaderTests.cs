using Crm.Serverless.Core.Import;

namespace Crm.Serverless.Core.Tests;

public sealed class CsvItemReaderTests
{
    [Fact]
    public void ReadTransactions_ManyChunks_KeepsFileOrderAndLineNumbers()
    {
        // Enough rows for several parallel chunks, with a blank line and bad rows at chunk-crossing positions.
        var lines = new List<string> { "amount,customerId,transactionId,currency,timestamp" };
        for (var row = 0; row < 10_000; row++)
        {
            lines.Add(row switch
            {
                4095 => "",
                4096 => "1.00,c4096,t4096,USD,yesterday",
                9_999 => "\"1.00,c9999,t9999,USD,2024-01-01",
                _ => $"{row % 90}.25,c{row / 3},t{row},USD,2024-01-{1 + (row % 28):D2}",
            });
        }

        var items = ParserFactory.CreateCsvReader().ReadTransactions(new StringReader(string.Join('\n', lines))).ToList();

        Assert.Equal(9_999, items.Count);
        Assert.Equal(Enumerable.Range(2, 10_000).Where(line => line != 4097), items.Select(i => i.Index));
        Assert.Equal("t4097", items[4096].Value!.TransactionId);
        Assert.Equal(47.25m, items[4096].Value!.Amount);
        Assert.Equal("c1365", items[4096].CustomerId);
        var rejected = items.Where(i => i.Value is null).ToList();
        Assert.Equal([4098, 10_001], rejected.Select(i => i.Index));
        Assert.Equal("timestamp", rejected[0].Errors.Single().Field);
        Assert.Equal("line", rejected[1].Errors.Single().Field);
        Assert.All(items.Where(i => i.Value is not null), i => Assert.Empty(i.Errors));
    }

    [Fact]
    public void ReadTransactions_QuotedAndMissingFields_ReportsEachProblem()
    {
        var csv = "transactionId,customerId,timestamp,amount,currency,quantity\n"
                  + "\"t,1\",\"c\"\"1\",2024-01-01T10:00:00Z,\"12.50\",USD,2\n"
                  + ",c2,,abc,USD,x\n";

        var items = ParserFactory.CreateCsvReader().ReadTransactions(new StringReader(csv)).ToList();

        Assert.Equal("t,1", items[0].Value!.TransactionId);
        Assert.Equal("c\"1", items[0].Value!.CustomerId);
        Assert.Equal(12.50m, items[0].Value!.Amount);
        Assert.Equal(2, items[0].Value!.Quantity);
        Assert.Equal(["transactionId", "timestamp", "amount", "quantity"], items[1].Errors.Select(e => e.Field));
        Assert.Equal("c2", items[1].CustomerId);
    }

    [Fact]
    public void ReadContacts_OptionalColumnsInAnyOrder_AreRead()
    {
        var csv = "country,customerId,marketingConsent,email\nDE,c1,true,a@example.com\nFR,c2,maybe,\n";

        var items = ParserFactory.CreateCsvReader().ReadContacts(new StringReader(csv)).ToList();

        Assert.Equal("DE", items[0].Value!.Country);
        Assert.Equal("a@example.com", items[0].Value!.Email);
        Assert.True(items[0].Value!.MarketingConsent);
        Assert.Null(items[1].Value);
        Assert.Equal("marketingConsent", items[1].Errors.Single().Field);
    }
}
