using System.Text;
using Crm.Serverless.Core.Ingestion;

namespace Crm.Serverless.Core.Tests;

public class IngestJsonParserTests
{
    private const string Valid = """{"transactionId":"t1","customerId":"c1","timestamp":"2024-05-01T14:30:00Z","amount":12.50,"currency":"USD","quantity":2,"items":[{"sku":"A-1","quantity":2,"price":6.25}]}""";

    private static readonly Core.Validation.IngestJsonParser Parser = ParserFactory.Create();

    private static IReadOnlyDictionary<string, string> Errors(string json)
    {
        var body = Parser.ParseTransactions(Encoding.UTF8.GetBytes(json));
        if (body.BodyError is { } error)
        {
            return new Dictionary<string, string> { [error.Field] = error.Message };
        }

        return body.Items.SelectMany(i => i.Errors).GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.First().Message);
    }

    private static string With(string property, string jsonValue)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(Valid)!.AsObject();
        node[property] = System.Text.Json.Nodes.JsonNode.Parse(jsonValue);
        return node.ToJsonString();
    }

    [Fact]
    public void Parse_ValidTransaction_ReturnsValueWithExactDecimal()
    {
        var body = Parser.ParseTransactions(Encoding.UTF8.GetBytes(Valid));

        var item = Assert.Single(body.Items);
        Assert.Empty(item.Errors);
        Assert.False(body.IsBatch);
        Assert.Equal(12.50m, item.Value!.Amount);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 14, 30, 0, TimeSpan.Zero), item.Value.Timestamp);
        Assert.Equal(6.25m, Assert.Single(item.Value.Items).Price);
    }

    [Theory]
    [InlineData("{\"transactionId\":", "body")]
    [InlineData("{\"a\":1,}", "body")]
    [InlineData("\"just a string\"", "body")]
    [InlineData("42", "body")]
    [InlineData("[]", "body")]
    [InlineData("{\"transactionId\":\"a\",\"transactionId\":\"b\"}", "body")]
    public void Parse_MalformedBody_NamesBody(string json, string field)
        => Assert.Contains(field, Errors(json).Keys);

    [Fact]
    public void Parse_DeepNesting_IsRefusedAsMalformed()
    {
        var json = new string('[', 200) + new string(']', 200);

        Assert.Contains("body", Errors(json).Keys);
    }

    [Theory]
    [InlineData("amount", "\"12.50\"", "JSON number")]
    [InlineData("amount", "-1", "negative")]
    [InlineData("amount", "1e300", "in range")]
    [InlineData("amount", "12.123456", "decimal places")]
    [InlineData("amount", "5000000000", "at most")]
    [InlineData("quantity", "1.5", "whole number")]
    [InlineData("quantity", "0", "between")]
    [InlineData("timestamp", "\"2024-05-01\"", "ISO 8601")]
    [InlineData("timestamp", "\"2024-05-01T14:30:00\"", "ISO 8601")]
    [InlineData("timestamp", "\"yesterday\"", "ISO 8601")]
    [InlineData("timestamp", "\"2024-13-01T00:00:00Z\"", "ISO 8601")]
    [InlineData("timestamp", "\"2999-01-01T00:00:00Z\"", "future")]
    [InlineData("timestamp", "1714573800", "string")]
    [InlineData("currency", "\"XYZ\"", "ISO 4217")]
    [InlineData("currency", "\"usd\"", "ISO 4217")]
    [InlineData("amountInReportingCurrency", "-1", "negative")]
    [InlineData("amountInReportingCurrency", "\"12.50\"", "JSON number")]
    [InlineData("transactionId", "\"\"", "empty")]
    [InlineData("transactionId", "\"a/b\"", "Table Storage")]
    [InlineData("transactionId", "\"a?b\"", "Table Storage")]
    [InlineData("transactionId", "\"a#b\"", "Table Storage")]
    [InlineData("transactionId", "\"a\\\\b\"", "Table Storage")]
    [InlineData("transactionId", "\"a\\u0001b\"", "control")]
    [InlineData("transactionId", "123", "string")]
    [InlineData("customerId", "\"a|b\"", "'|'")]
    [InlineData("customerId", "\"a\\u007fb\"", "control")]
    [InlineData("customerId", "\" padded \"", "white space")]
    [InlineData("customerId", "null", "required")]
    [InlineData("items", "{}", "array")]
    public void Parse_BadField_NamesTheField(string property, string jsonValue, string expectedMessagePart)
    {
        var errors = Errors(With(property, jsonValue));

        Assert.True(errors.TryGetValue(property, out var message), $"expected an error on {property}, got: {string.Join("; ", errors.Select(e => e.Key + ": " + e.Value))}");
        Assert.Contains(expectedMessagePart, message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Parse_MissingFields_NamesEachOfThem()
    {
        var errors = Errors("{}");

        Assert.Equal(["amount", "currency", "customerId", "timestamp", "transactionId"], errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Parse_BadLineItem_NamesItsPath()
    {
        var errors = Errors(With("items", """[{"sku":"A","quantity":1,"price":1},{"sku":"B","quantity":-2,"price":"x"}]"""));

        Assert.Contains("items[1].quantity", errors.Keys);
        Assert.Contains("items[1].price", errors.Keys);
        Assert.DoesNotContain("items[0].sku", errors.Keys);
    }

    [Fact]
    public void Parse_Batch_ReportsEachItemWithItsIndex()
    {
        var body = Parser.ParseTransactions(Encoding.UTF8.GetBytes($"[{Valid},{With("amount", "-5")},7]"));

        Assert.True(body.IsBatch);
        Assert.Equal(3, body.Items.Count);
        Assert.NotNull(body.Items[0].Value);
        Assert.Equal("[1].amount", Assert.Single(body.Items[1].Errors).Field);
        Assert.Equal("[2]", Assert.Single(body.Items[2].Errors).Field);
    }

    [Fact]
    public void Parse_BatchOverLimit_IsTooLarge()
    {
        var parser = ParserFactory.Create(new IngestOptions { MaxBatchItems = 3 });

        var body = parser.ParseTransactions(Encoding.UTF8.GetBytes($"[{Valid},{Valid},{Valid},{Valid}]"));

        Assert.True(body.TooLarge);
        Assert.Contains("at most 3", body.BodyError!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TimestampWithOffset_IsKeptAsTheSameInstant()
    {
        var body = Parser.ParseTransactions(Encoding.UTF8.GetBytes(With("timestamp", "\"2024-05-01T16:30:00+02:00\"")));

        Assert.Equal(new DateTimeOffset(2024, 5, 1, 14, 30, 0, TimeSpan.Zero).UtcTicks, body.Items[0].Value!.Timestamp.UtcTicks);
    }

    [Theory]
    [InlineData("""{"customerId":"c1","email":"not-an-email"}""", "email")]
    [InlineData("""{"customerId":"c1","country":"Germany"}""", "country")]
    [InlineData("""{"customerId":"c1","marketingConsent":"yes"}""", "marketingConsent")]
    [InlineData("""{"customerId":"c1","createdAt":"2020-01-01"}""", "createdAt")]
    [InlineData("""{"customerId":"c1","attributes":{"tier":{"nested":1}}}""", "attributes.tier")]
    [InlineData("""{"customerId":"c1","attributes":[1]}""", "attributes")]
    [InlineData("""{"customerId":"c1","firstName":42}""", "firstName")]
    [InlineData("""{"email":"a@b.example"}""", "customerId")]
    public void ParseContacts_BadField_NamesTheField(string json, string field)
    {
        var body = Parser.ParseContacts(Encoding.UTF8.GetBytes(json));

        Assert.Contains(field, body.Items.SelectMany(i => i.Errors).Select(e => e.Field));
    }

    [Fact]
    public void ParseContacts_Valid_KeepsAttributes()
    {
        var body = Parser.ParseContacts(Encoding.UTF8.GetBytes("""{"customerId":"c1","email":"ada@example.com","country":"GB","marketingConsent":true,"attributes":{"tier":"gold","visits":3}}"""));

        var contact = body.Items[0].Value!;
        Assert.Equal("gold", contact.Attributes["tier"]);
        Assert.Equal("3", contact.Attributes["visits"]);
        Assert.True(contact.MarketingConsent);
    }
}
