using System.Text;
using Crm.Serverless.Core.Validation;

namespace Crm.Serverless.Core.Tests;

/// <summary>
/// Regressions from the hostile-input fuzzer: System.Text.Json parses these documents but throws
/// InvalidOperationException when the text is read, which used to fail the request with a 500.
/// </summary>
public class HostileTextTests
{
    private static readonly IngestJsonParser Parser = ParserFactory.Create();

    private static byte[] Utf8(string prefix, byte[] bad, string suffix) => [.. Encoding.UTF8.GetBytes(prefix), .. bad, .. Encoding.UTF8.GetBytes(suffix)];

    public static TheoryData<byte[], string> InvalidText => new()
    {
        // Invalid UTF-8 inside a value and inside a property name.
        { Utf8("{\"transactionId\":\"t", [0xC3, 0x28], "\",\"customerId\":\"c1\",\"timestamp\":\"2024-05-01T14:30:00Z\",\"amount\":1,\"currency\":\"USD\"}"), "transactionId" },
        { Utf8("{\"transactionId\":\"t1\",\"customerId\":\"c1\",\"timestamp\":\"2024-05-01T14:30:00Z\",\"amount\":1,\"currency\":\"USD\",\"x", [0xED, 0xA0, 0x80], "\":1}"), "body" },
        // Lone surrogate escapes in a value and in a nested property name.
        { Encoding.UTF8.GetBytes("""{"transactionId":"t1","customerId":"a\udc00b","timestamp":"2024-05-01T14:30:00Z","amount":1,"currency":"USD"}"""), "customerId" },
        { Encoding.UTF8.GetBytes("""{"transactionId":"t1","customerId":"c1","timestamp":"2024-05-01T14:30:00Z","amount":1,"currency":"USD","items":[{"sku":"\ud800","quantity":1,"price":1}]}"""), "items[0].sku" },
    };

    [Theory]
    [MemberData(nameof(InvalidText))]
    public void ParseTransactions_UndecodableText_IsRefusedNamingTheFieldNotThrown(byte[] json, string field)
    {
        var body = Parser.ParseTransactions(json);

        var errors = body.BodyError is { } error ? [error] : body.Items.SelectMany(i => i.Errors).ToList();
        Assert.Contains(errors, e => e.Field == field);
        Assert.All(body.Items, item => Assert.Null(item.Value));
    }

    [Theory]
    [InlineData("""{"customerId":"c1","attributes":{"\uD800":"x"}}""")]
    [InlineData("""[{"customerId":"c1","firstName":"Ada"},{"customerId":"c2","attributes":{"\uD800":"x"}}]""")]
    public void ParseContacts_LoneSurrogateInAPropertyName_IsRefusedNotThrown(string json)
    {
        var body = Parser.ParseContacts(Encoding.UTF8.GetBytes(json));

        Assert.NotNull(body.BodyError);
        Assert.Empty(body.Items);
    }

    [Fact]
    public void ParseContacts_LoneSurrogateInOneItemOfABatch_RefusesOnlyThatItem()
    {
        var body = Parser.ParseContacts(Encoding.UTF8.GetBytes("""[{"customerId":"c1","firstName":"Ada"},{"customerId":"c2","lastName":"\uDBFF"}]"""));

        Assert.NotNull(body.Items[0].Value);
        Assert.Null(body.Items[1].Value);
        Assert.Equal("[1].lastName", Assert.Single(body.Items[1].Errors).Field);
    }
}
