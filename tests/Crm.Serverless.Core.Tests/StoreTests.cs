using Crm.Serverless.Cli.Stores;

namespace Crm.Serverless.Core.Tests;

public sealed class StoreTests
{
    [Theory]
    [InlineData("data/cdnow/cdnow_master.csv", "cdnowmaster")]
    [InlineData("Shop-Export 2024.CSV", "shopexport2024")]
    [InlineData("my-shop.csv", "myshop")]
    [InlineData("2024-orders.csv", "shop2024orders")]
    [InlineData("___.csv", "shop")]
    [InlineData("crm.csv", "crmshop")]
    [InlineData("default.csv", "defaultshop")]
    [InlineData("a-very-long-file-name-that-goes-on-and-on-forever.csv", "averylongfilenamethatgoesonando")]
    public void ForDataFile_NamesTheStoreAfterTheFileWithinTheAllowedCharacters(string file, string store)
    {
        var named = Store.ForDataFile(new FileInfo(file));

        Assert.Equal(store, named.Name);
        Assert.Null(Store.Check(named.Name));
    }

    [Fact]
    public void Named_DefaultIsTheUnprefixedStoreWithTheConfiguredQueues()
    {
        var store = Store.Named("Default", StoreSource.Option);

        Assert.True(store.IsDefault);
        Assert.Equal("", store.Settings["Storage:TablePrefix"]);
        Assert.Equal("crm-ingest", store.Settings["Ingest:QueueName"]);
    }

    [Fact]
    public void Named_KeepsNamesInLowerCaseWithTheirOwnQueues()
    {
        var store = Store.Named("MyShop2", StoreSource.Option);

        Assert.Equal("myshop2", store.Settings["Storage:TablePrefix"]);
        Assert.Equal("myshop2-ingest", store.Settings["Ingest:QueueName"]);
    }

    [Fact]
    public void Settings_OfAStoreChosenByTheEnvironment_LeaveTheConfigurationAlone()
        => Assert.Empty(new Store("envprefix", StoreSource.Environment).Settings);
}
