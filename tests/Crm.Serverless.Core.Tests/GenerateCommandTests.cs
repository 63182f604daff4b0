using Crm.Serverless.Cli;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>In the Azurite collection only because commands print to the process-wide console that other command tests capture.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class GenerateCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("crm-generate-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private async Task<(string Transactions, string Contacts)> GenerateAsync(string name, int seed)
    {
        var transactions = Path.Combine(_folder, name + ".csv");
        var contacts = Path.Combine(_folder, name + "-contacts.csv");
        var exitCode = await CrmCommandLine.RunAsync(["generate", "--customers", "5000", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--weeks", "156", "--rate-shape", "1.3", "--out", transactions, "--contacts", contacts]);
        Assert.Equal(0, exitCode);
        return (transactions, contacts);
    }

    [Fact]
    public async Task Generate_SameSeed_WritesIdenticalFiles()
    {
        var first = await GenerateAsync("a", seed: 7);
        var second = await GenerateAsync("b", seed: 7);
        var other = await GenerateAsync("c", seed: 8);

        Assert.Equal(await File.ReadAllBytesAsync(first.Transactions), await File.ReadAllBytesAsync(second.Transactions));
        Assert.Equal(await File.ReadAllBytesAsync(first.Contacts), await File.ReadAllBytesAsync(second.Contacts));
        Assert.NotEqual(await File.ReadAllBytesAsync(first.Transactions), await File.ReadAllBytesAsync(other.Transactions));
    }

    [Fact]
    public async Task Generate_RowCounts_OneContactPerCustomerAndEveryPurchaseReadable()
    {
        var (transactions, contacts) = await GenerateAsync("shop", seed: 1);

        using var contactText = File.OpenText(contacts);
        using var purchaseText = File.OpenText(transactions);
        var contactItems = ParserFactory.CreateCsvReader().ReadContacts(contactText).ToList();
        var purchaseItems = ParserFactory.CreateCsvReader().ReadTransactions(purchaseText).ToList();

        Assert.Equal(5000, contactItems.Count);
        Assert.All(contactItems, item => Assert.NotNull(item.Value));
        Assert.All(purchaseItems, item => Assert.NotNull(item.Value));
        Assert.Equal(5000, purchaseItems.Select(i => i.CustomerId).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(purchaseItems.Count, purchaseItems.Select(i => i.Id).Distinct(StringComparer.Ordinal).Count());

        // The settings documented for the 10M-transaction bench give about ten purchases per customer.
        Assert.InRange(purchaseItems.Count / 5000.0, 8, 12);
    }
}
