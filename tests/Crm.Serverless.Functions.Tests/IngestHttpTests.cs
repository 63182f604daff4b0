using Crm.Serverless.Core.Storage;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Functions.Tests;

[Collection(AzuriteCollection.Name)]
public class IngestHttpTests(AzuriteFixture azurite)
{
    private const string Valid = """{"transactionId":"t1","customerId":"c1","timestamp":"2024-05-01T14:30:00Z","amount":12.50,"currency":"USD"}""";

    private Task<TestHost> StartAsync() => azurite.StartHostAsync(builder => builder.AddCrmFunctions(), new Dictionary<string, string?> { ["Ingest:MaxBodyBytes"] = "4096" });

    private static async Task<HttpCall.Response> PostTransactionsAsync(TestHost host, string body, string? contentType = "application/json", long? contentLength = null)
    {
        var request = HttpCall.Request("POST", "/api/transactions", body, contentType, contentLength);
        var result = await host.Create<TransactionsHttp>().Post(request, CancellationToken.None);
        return await HttpCall.ExecuteAsync(result, request);
    }

    [Fact]
    public async Task Post_NewTransaction_Returns201WithLocation()
    {
        await using var host = await StartAsync();

        var response = await PostTransactionsAsync(host, Valid);

        Assert.Equal(201, response.Status);
        Assert.Equal("/api/customers/c1", response.Headers.Location.ToString());
        Assert.Equal("accepted", response.Json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Post_RetriedTransaction_Returns200DuplicateAndStoresOnce()
    {
        await using var host = await StartAsync();

        await PostTransactionsAsync(host, Valid);
        var retry = await PostTransactionsAsync(host, Valid);

        Assert.Equal(200, retry.Status);
        Assert.Equal("duplicate", retry.Json.GetProperty("status").GetString());
        var recount = await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers);
        Assert.Equal(1, recount["c1"].Purchases);
        Assert.Equal(1, recount["c1"].Customer!.PurchaseCount);
    }

    [Fact]
    public async Task Post_ConflictingTransaction_Returns409ProblemNamingTheId()
    {
        await using var host = await StartAsync();
        await PostTransactionsAsync(host, Valid);

        var response = await PostTransactionsAsync(host, Valid.Replace("12.50", "13.50", StringComparison.Ordinal));

        Assert.Equal(409, response.Status);
        Assert.StartsWith("application/problem+json", response.ContentType, StringComparison.Ordinal);
        Assert.Contains("transactionId", response.Errors.Keys);
    }

    [Theory]
    [InlineData("""{"transactionId":"t1","customerId":"c1","timestamp":"2024-05-01T14:30:00Z","amount":-1,"currency":"USD"}""", "amount")]
    [InlineData("""{"transactionId":"t1","customerId":"c1","timestamp":"01/05/2024","amount":1,"currency":"USD"}""", "timestamp")]
    [InlineData("""{"transactionId":"t1","customerId":"c1","timestamp":"2024-05-01T14:30:00Z","amount":1,"currency":"ABC"}""", "currency")]
    [InlineData("""{"transactionId":"t1","customerId":"c#1","timestamp":"2024-05-01T14:30:00Z","amount":1,"currency":"USD"}""", "customerId")]
    [InlineData("""{"customerId":"c1","timestamp":"2024-05-01T14:30:00Z","amount":1,"currency":"USD"}""", "transactionId")]
    [InlineData("""{"transactionId":"t1","customerId":"c1","timestamp":"2024-05-01T14:30:00Z","amount":"1","currency":"USD"}""", "amount")]
    [InlineData("""{"transactionId":"t1","customerId":"c1",""", "body")]
    [InlineData("""[]""", "body")]
    public async Task Post_BadInput_Returns400ProblemNamingTheField(string body, string field)
    {
        await using var host = await StartAsync();

        var response = await PostTransactionsAsync(host, body);

        Assert.Equal(400, response.Status);
        Assert.StartsWith("application/problem+json", response.ContentType, StringComparison.Ordinal);
        Assert.Equal(400, response.Json.GetProperty("status").GetInt32());
        Assert.Equal("/api/transactions", response.Json.GetProperty("instance").GetString());
        Assert.Contains(field, response.Errors.Keys);
        Assert.Empty(await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Customers));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData(null)]
    [InlineData("application/json; charset=latin1")]
    public async Task Post_NonJson_Returns415(string? contentType)
    {
        await using var host = await StartAsync();

        var response = await PostTransactionsAsync(host, Valid, contentType);

        Assert.Equal(415, response.Status);
        Assert.Contains("Content-Type", response.Errors.Keys);
    }

    [Fact]
    public async Task Post_OversizeBody_Returns413BeforeParsing()
    {
        await using var host = await StartAsync();

        var declared = await PostTransactionsAsync(host, "[" + string.Join(',', Enumerable.Repeat(Valid, 100)) + "]");
        var undeclared = await PostTransactionsAsync(host, "[" + string.Join(',', Enumerable.Repeat(Valid, 100)) + "]", contentLength: 10);

        Assert.Equal(413, declared.Status);
        Assert.Equal(413, undeclared.Status);
        Assert.Contains("body", declared.Errors.Keys);
    }

    [Fact]
    public async Task Post_MixedBatch_Returns200WithAResultPerItem()
    {
        await using var host = await StartAsync();
        await PostTransactionsAsync(host, Valid);
        var bad = Valid.Replace("\"t1\"", "\"t2\"", StringComparison.Ordinal).Replace("12.50", "-3", StringComparison.Ordinal);
        var conflict = Valid.Replace("12.50", "1", StringComparison.Ordinal);
        var fresh = Valid.Replace("\"t1\"", "\"t3\"", StringComparison.Ordinal);

        var response = await PostTransactionsAsync(host, $"[{Valid},{bad},{conflict},{fresh}]");

        Assert.Equal(200, response.Status);
        var items = response.Json.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["duplicate", "rejected", "conflict", "accepted"], items.Select(i => i.GetProperty("status").GetString()));
        Assert.True(items[1].GetProperty("errors").TryGetProperty("[1].amount", out _));
        Assert.Equal(1, response.Json.GetProperty("accepted").GetInt32());
        Assert.Equal(2, (await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers))["c1"].Purchases);
    }

    [Fact]
    public async Task Post_BatchWithNothingValid_Returns400NamingEveryBadField()
    {
        await using var host = await StartAsync();

        var response = await PostTransactionsAsync(host, """[{"customerId":"x"},{"transactionId":"t","customerId":"c","timestamp":"bad","amount":1,"currency":"USD"}]""");

        Assert.Equal(400, response.Status);
        Assert.Contains("[0].transactionId", response.Errors.Keys);
        Assert.Contains("[1].timestamp", response.Errors.Keys);
    }

    [Fact]
    public async Task PostContacts_ThenGetCustomer_ShowsThe360View()
    {
        await using var host = await StartAsync();
        var contactRequest = HttpCall.Request("POST", "/api/contacts", """{"customerId":"c1","email":"ada@example.com","firstName":"Ada","country":"GB","marketingConsent":true}""");
        var contact = await HttpCall.ExecuteAsync(await host.Create<ContactsHttp>().Post(contactRequest, CancellationToken.None), contactRequest);
        await PostTransactionsAsync(host, Valid);
        await PostTransactionsAsync(host, Valid.Replace("\"t1\"", "\"t0\"", StringComparison.Ordinal).Replace("2024-05-01", "2024-04-01", StringComparison.Ordinal).Replace("12.50", "7.50", StringComparison.Ordinal));

        var getRequest = HttpCall.Request("GET", "/api/customers/c1");
        var view = await HttpCall.ExecuteAsync(await host.Create<CustomersHttp>().Get(getRequest, "c1", CancellationToken.None), getRequest);

        Assert.Equal(201, contact.Status);
        Assert.Equal(200, view.Status);
        var json = view.Json;
        Assert.Equal("Ada", json.GetProperty("contact").GetProperty("firstName").GetString());
        var purchases = json.GetProperty("purchases");
        Assert.Equal(2, purchases.GetProperty("count").GetInt32());
        Assert.Equal(20.00m, purchases.GetProperty("totalSpend").GetDecimal());
        Assert.Equal(10.00m, purchases.GetProperty("averageSpend").GetDecimal());
        Assert.Equal("t1", purchases.GetProperty("lastPurchase").GetProperty("transactionId").GetString());
        Assert.Equal("2024-04-01T14:30:00+00:00", purchases.GetProperty("firstPurchaseAt").GetString());
    }

    [Theory]
    [InlineData("nobody", 404)]
    [InlineData("a|b", 400)]
    public async Task GetCustomer_UnknownOrInvalid_ReturnsProblem(string id, int status)
    {
        await using var host = await StartAsync();
        var request = HttpCall.Request("GET", "/api/customers/" + id);

        var response = await HttpCall.ExecuteAsync(await host.Create<CustomersHttp>().Get(request, id, CancellationToken.None), request);

        Assert.Equal(status, response.Status);
        Assert.StartsWith("application/problem+json", response.ContentType, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostContacts_BadEmail_Returns400NamingEmail()
    {
        await using var host = await StartAsync();
        var request = HttpCall.Request("POST", "/api/contacts", """{"customerId":"c1","email":"no at sign"}""");

        var response = await HttpCall.ExecuteAsync(await host.Create<ContactsHttp>().Post(request, CancellationToken.None), request);

        Assert.Equal(400, response.Status);
        Assert.Contains("email", response.Errors.Keys);
    }
}
