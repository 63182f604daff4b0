using System.Globalization;
using System.Text;

namespace Crm.Serverless.Functions.Tests;

/// <summary>Which door a hostile input is sent to.</summary>
internal enum Door
{
    PostTransactions,
    PostContacts,
    GetCustomer,
    EraseCustomer,
    ExportCustomer,
    Queue,
}

/// <summary>
/// One hostile input. <see cref="Body"/> is raw bytes (so invalid UTF-8 can be sent); <see cref="ContentLength"/>
/// null means a chunked body without Content-Length; <see cref="CustomerId"/> is the id sent to the GET door (a
/// route value) and to the erase and export doors (in the body, <c>{"customerId": ...}</c>).
/// </summary>
internal sealed record HostileInput(int Number, Door Door, string Kind, byte[] Body, string? ContentType, long? ContentLength, string CustomerId);

/// <summary>
/// A seeded generator of malformed and hostile payloads. Every input it makes is invalid by construction: at
/// least one "breaking" change (a missing or wrongly typed field, an out-of-range value, broken JSON, a wrong
/// content type, an oversize body...) on top of any number of hostile-but-legal strings (filter injection, odd
/// Unicode), so every one must be refused with a 4xx (or recorded as rejected on the queue) and none stored.
/// </summary>
internal sealed class HostileInputs(int seed, int maxBodyBytes, int maxBatchItems)
{
    private readonly Random _random = new(seed);

    /// <summary>Strings that are legal ids or names but hostile to a careless implementation.</summary>
    private static readonly string[] Spice =
    [
        "' or PartitionKey ne '", "' or 1 eq 1 or RowKey eq '", "x' or '1' eq '1", "$filter=PartitionKey ne ''", "%27%20or%20true",
        "Robert'); DROP TABLE Customers;--", "<script>alert(1)</script>", "=cmd|' /C calc'!A0", "{{7*7}}", "${jndi:ldap://x}",
        "../../etc/passwd", "名前", "\U0001F600\U0001F4A9", "e\u0301", "\u202Eevil", "ﬀ", "İı", "\uFEFFbom", "a\u200Bb", "null", "undefined",
        "p00", "p63", "unattributed", "}", "~", "a'b", "a\"b", "a%00b", "a\u00A0b",
    ];

    /// <summary>Values that make an id invalid as a Table key or customer id.</summary>
    private static readonly string[] BadIds =
    [
        "", " ", "  ", " lead", "trail ", "a/b", "a\\b", "a#b", "a?b", "a\u0001b", "a\u007Fb", "a\u0085b", "\t", "a\nb", "a|b", "|",
        new string('x', 129), new string('y', 5000), "\uD800", "a\uDC00b", "\uDBFF", "x\uD83D",
    ];

    public IEnumerable<HostileInput> Generate(int count)
    {
        for (var n = 0; n < count; n++)
        {
            var roll = _random.Next(100);
            yield return roll switch
            {
                < 35 => Post(n, Door.PostTransactions),
                < 55 => Post(n, Door.PostContacts),
                < 80 => Queue(n),
                _ => Route(n),
            };
        }
    }

    private HostileInput Route(int n)
    {
        var door = Pick([Door.GetCustomer, Door.EraseCustomer, Door.ExportCustomer]);

        // A bad id must be refused (400); a hostile but legal one names nobody (404) and must match no one else.
        // Legal ids get a prefix no ingested item uses, so they name nobody (the queue inputs may have stored a
        // rejected record under a bare spice id, which an erase would then rightly delete).
        var id = _random.Next(2) == 0 ? Pick(BadIds) : "route~" + Pick(Spice);
        if (door == Door.GetCustomer)
        {
            return new HostileInput(n, door, "route id", [], null, null, id);
        }

        var body = Encoding.UTF8.GetBytes("{\"customerId\":" + Quote(id) + "}");
        return new HostileInput(n, door, "body id", body, "application/json", body.Length, id);
    }

    private HostileInput Queue(int n)
    {
        var transaction = _random.Next(2) == 0;
        var (kind, data) = BrokenBody(transaction);
        var type = transaction ? "\"transaction\"" : "\"contact\"";
        var wrapperRoll = _random.Next(10);
        byte[] message = wrapperRoll switch
        {
            0 => data,
            1 => Encoding.UTF8.GetBytes("{\"data\":").Concat(data).Concat("}"u8.ToArray()).ToArray(),
            2 => Encoding.UTF8.GetBytes($"{{\"type\":{Pick(["1", "null", "[]", "{}", "\"refund\"", "\"Transaction\"", "\"transaction \""])},\"data\":").Concat(data).Concat("}"u8.ToArray()).ToArray(),
            3 => Encoding.UTF8.GetBytes($"{{\"type\":{type}}}"),
            _ => Encoding.UTF8.GetBytes($"{{\"type\":{type},\"data\":").Concat(data).Concat("}"u8.ToArray()).ToArray(),
        };
        return new HostileInput(n, Door.Queue, wrapperRoll switch { 0 => "no wrapper: " + kind, 1 => "no type", 2 => "bad type", 3 => "no data", _ => kind }, message, null, null, "");
    }

    private HostileInput Post(int n, Door door)
    {
        var transaction = door == Door.PostTransactions;
        var contentTypeRoll = _random.Next(20);
        if (contentTypeRoll == 0)
        {
            var valid = Encoding.UTF8.GetBytes(ValidItem(transaction, 0));
            var type = Pick(["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", ";;;", "application/jsonx", "json",
                "application/json; charset=utf-16", "application/json; charset=latin1", "text/json; charset=ebcdic", "*/*", "application/json, text/plain"]);
            return new HostileInput(n, door, "content type", valid, type.Length == 0 ? null : type, valid.Length, "");
        }

        if (contentTypeRoll == 1)
        {
            return Oversize(n, door, transaction);
        }

        var (kind, body) = BrokenBody(transaction);

        // Some bodies are sent chunked (no Content-Length), some with a Content-Length that lies.
        long? length = _random.Next(4) switch
        {
            0 => null,
            1 => Math.Max(0, body.Length - _random.Next(1, 10)),
            _ => body.Length,
        };
        return new HostileInput(n, door, kind, body, Pick(["application/json", "application/json; charset=utf-8", "application/problem+json", "APPLICATION/JSON"]), length, "");
    }

    private HostileInput Oversize(int n, Door door, bool transaction)
    {
        switch (_random.Next(3))
        {
            case 0:
            {
                // More items than a batch may hold, each one broken too: refused as too large (413) before any is read.
                var items = Enumerable.Range(0, maxBatchItems + 1 + _random.Next(50)).Select(i => BrokenItem(transaction, i).Json);
                var body = Encoding.UTF8.GetBytes("[" + string.Join(',', items) + "]");
                return new HostileInput(n, door, "batch over limit", body, "application/json", body.Length <= maxBodyBytes ? body.Length : null, "");
            }

            case 1:
            {
                var body = Encoding.UTF8.GetBytes("{\"customerId\":\"" + new string('A', maxBodyBytes + _random.Next(1, 5000)) + "\"}");
                return new HostileInput(n, door, "body over limit (chunked)", body, "application/json", null, "");
            }

            default:
            {
                var body = Encoding.UTF8.GetBytes("[" + string.Join(',', Enumerable.Repeat("{\"x\":\"" + new string('B', 1000) + "\"}", (maxBodyBytes / 1000) + 2)) + "]");
                return new HostileInput(n, door, "body over limit (declared)", body, "application/json", body.Length, "");
            }
        }
    }

    /// <summary>A body that is not a valid item or batch: broken bytes, broken JSON, or well-formed JSON with broken items.</summary>
    private (string Kind, byte[] Body) BrokenBody(bool transaction)
    {
        switch (_random.Next(12))
        {
            case 0:
            {
                var valid = Encoding.UTF8.GetBytes(ValidItem(transaction, 0));
                return ("truncated JSON", valid[..(_random.Next(valid.Length - 1))]);
            }

            case 1:
                return ("syntax", Encoding.UTF8.GetBytes(Pick(
                [
                    "", " ", "null", "true", "0", "-1", "\"text\"", "[", "{", "}", "{]", "{\"a\":}", "{'customerId':'c1'}", "{customerId:\"c1\"}",
                    "{\"customerId\":\"c1\",}", "[{\"customerId\":\"c1\"},]", "{\"customerId\":\"c1\"} // comment", "/* c */ {}", "{\"a\":NaN}", "{\"amount\":Infinity}",
                    "{\"amount\":-Infinity}", "{\"amount\":01}", "{\"amount\":1.}", "{\"amount\":.5}", "{\"amount\":+1}", "{\"amount\":0x10}", "\u0000", "[]", "[[]]", "[1,2,3]",
                    "[null]", "[\"a\"]", "{\"customerId\":\"c1\",\"customerId\":\"c2\"}", "\"\\uD800\"", "{\"customerId\":\"\\u12\"}", "{\"a\":\"\\x41\"}",
                ])));

            case 2:
            {
                var depth = Pick([IngestDepthLimit + 1, 64, 1000, 100_000]);
                var nested = new string('[', depth) + new string(']', depth);
                return ("deep nesting", Encoding.UTF8.GetBytes(_random.Next(2) == 0 ? nested : $"{{\"customerId\":{nested}}}"));
            }

            case 3:
            {
                // Invalid UTF-8 inside a string: lone continuation bytes, overlong forms, encoded surrogates, 0xFF.
                var bad = Pick<byte[]>([[0xC3, 0x28], [0xA0, 0xA1], [0xE2, 0x28, 0xA1], [0xF0, 0x28, 0x8C, 0xBC], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xFF], [0xFE, 0xFF], [0xF8, 0x88, 0x80, 0x80, 0x80]]);
                var item = ValidItem(transaction, 0);
                var at = item.IndexOf(_random.Next(2) == 0 ? "\"c" : "\"fz-", StringComparison.Ordinal) + 1;
                var bytes = Encoding.UTF8.GetBytes(item[..at]).Concat(bad).Concat(Encoding.UTF8.GetBytes(item[at..])).ToArray();
                return ("invalid UTF-8", bytes);
            }

            case 4:
            {
                // Flips on an item without customerId: no flip of a few bytes can bring that field back.
                var item = Encoding.UTF8.GetBytes(ValidItem(transaction, 0).Replace("\"customerId\":\"fz-c0\",", "", StringComparison.Ordinal));
                for (var flips = _random.Next(1, 4); flips > 0; flips--)
                {
                    item[_random.Next(item.Length)] = (byte)_random.Next(256);
                }

                return ("byte flips", item);
            }

            default:
            {
                var count = _random.Next(4) == 0 ? _random.Next(2, 20) : 1;
                var items = Enumerable.Range(0, count).Select(i => BrokenItem(transaction, i)).ToList();
                var json = count == 1 && _random.Next(2) == 0 ? items[0].Json : "[" + string.Join(',', items.Select(i => i.Json)) + "]";
                return (count == 1 ? items[0].Kind : "batch: " + items[0].Kind, Encoding.UTF8.GetBytes(json));
            }
        }
    }

    private const int IngestDepthLimit = 16;

    private static string ValidItem(bool transaction, int i)
        => transaction
            ? $$"""{"transactionId":"fz-t{{i}}","customerId":"fz-c{{i}}","timestamp":"2024-05-01T14:30:00Z","amount":12.5,"currency":"USD","quantity":1}"""
            : $$$"""{"customerId":"fz-c{{{i}}}","email":"fz@example.com","firstName":"Fz","lastName":"Zz","country":"DE","createdAt":"2024-01-01T00:00:00Z","marketingConsent":true,"attributes":{"tier":"gold"}}""";

    /// <summary>An item with one or more breaking changes and maybe some hostile-but-legal strings.</summary>
    private (string Kind, string Json) BrokenItem(bool transaction, int i)
    {
        var fields = transaction
            ? new List<(string Name, string Json)> { ("transactionId", $"\"fz-t{i}\""), ("customerId", $"\"fz-c{i}\""), ("timestamp", "\"2024-05-01T14:30:00Z\""), ("amount", "12.5"), ("currency", "\"USD\""), ("quantity", "1") }
            : [("customerId", $"\"fz-c{i}\""), ("email", "\"fz@example.com\""), ("firstName", "\"Fz\""), ("country", "\"DE\""), ("createdAt", "\"2024-01-01T00:00:00Z\""), ("marketingConsent", "true")];

        for (var s = _random.Next(3); s > 0; s--)
        {
            var name = transaction ? Pick(["transactionId", "customerId"]) : Pick(["customerId", "firstName", "lastName"]);
            Set(fields, name, Quote(Pick(Spice)));
        }

        var kinds = new List<string>();
        for (var b = _random.Next(1, 3); b > 0; b--)
        {
            kinds.Add(transaction ? BreakTransaction(fields) : BreakContact(fields));
        }

        return (string.Join(" + ", kinds), "{" + string.Join(',', fields.Select(f => Quote(f.Name) + ":" + f.Json)) + "}");
    }

    /// <summary>
    /// Characters outside the Basic Multilingual Plane: one per element, sent raw (4 UTF-8 bytes) but escaped when
    /// stored (12 characters), so text within every documented length limit can overflow a Table property.
    /// </summary>
    private static readonly string[] Astral = ["\U0001F600", "\U0001F4A9", "\U00010348", "\U0001D11E", "\U00020000"];

    private string AstralText(int pairs) => string.Concat(Enumerable.Range(0, pairs).Select(_ => Pick(Astral)));

    private string BreakTransaction(List<(string Name, string Json)> fields)
    {
        switch (_random.Next(11))
        {
            case 9:
            {
                // Valid by every per-field limit (200 items, SKUs of 64 UTF-16 units), too large to store: a 400 naming items.
                var count = _random.Next(120, 201);
                Set(fields, "items", "[" + string.Join(',', Enumerable.Range(0, count).Select(_ => "{\"sku\":\"" + AstralText(32) + "\",\"quantity\":1,\"price\":0.5}")) + "]");
                return "unstorable items";
            }

            case 10:
                switch (_random.Next(4))
                {
                    case 0:
                        Set(fields, "kind", Quote(Pick(["Refund", "return", "", "purchase ", "REFUND", "credit"])));
                        return "bad kind";
                    case 1:
                        Set(fields, "kind", "\"refund\"");
                        fields.RemoveAll(f => f.Name == "refersTo");
                        return "refund without refersTo";
                    case 2:
                        Set(fields, "refersTo", Quote(Pick(["fz-t0", "p1", Pick(Spice)])));
                        fields.RemoveAll(f => f.Name == "kind");
                        return "purchase with refersTo";
                    default:
                        Set(fields, "kind", "\"cancel\"");
                        // Only ids a transaction id may not be: "|" is fine there, so "a|b" would be a valid cancel.
                        Set(fields, "refersTo", Quote(Pick(BadIds.Where(id => id.Length > 0 && !id.Contains('|', StringComparison.Ordinal)).ToList())));
                        return "cancel of a bad id";
                }

            case 0:
            {
                var name = Pick(["transactionId", "customerId", "timestamp", "amount", "currency"]);
                fields.RemoveAll(f => f.Name == name);
                return "missing " + name;
            }

            case 1:
            {
                var name = Pick(["transactionId", "customerId", "timestamp", "amount", "currency", "quantity"]);
                var wrong = name is "amount" or "quantity" ? Pick(["\"12.5\"", "true", "{}", "[]", "\"NaN\"", "\"Infinity\"", "\"1e3\""]) : Pick(["12", "true", "{}", "[\"c1\"]", "1e400"]);
                Set(fields, name, wrong);
                return "wrong type " + name;
            }

            case 2:
                Set(fields, "amount", Pick(["-1", "-0.0001", "-1e-3", "1000000000.0001", "1e28", "1e30", "1e400", "-1e400", "79228162514264337593543950336", new string('9', 400), "0.00001", "12.34567", "123456789012345678901234567890.5"]));
                return "absurd amount";

            case 3:
                Set(fields, "timestamp", Quote(Pick(
                [
                    "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z", "2024-05-01T14:30:00", "2024-05-01T14:30:00+25:00", "2024-05-01T14:30:00+99:99", "0000-01-01T00:00:00Z",
                    "1899-12-31T23:59:59Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2100-01-01T00:00:00Z", "", "yesterday", "1714573800",
                    "2024-05-01", "2024-05-01 14:30:00Z", "2024-05-01T14:30:00Z\u0000", "2024-05-01T24:00:00Z", "2024-05-01T14:60:00Z", "2024-05-01T14:30:00.12345678Z", "２０２４-05-01T14:30:00Z",
                ])));
                return "bad timestamp";

            case 4:
                Set(fields, "currency", Quote(Pick(["usd", "EUR", "", "US", "USDD", "ÜSD", "U$D", "XXX", "123", "\u0000SD"])));
                return "bad currency";

            case 5:
                Set(fields, "quantity", Pick(["0", "-1", "2147483648", "1.5", "1e10", "1000001"]));
                return "bad quantity";

            case 6:
            {
                var name = Pick(["transactionId", "customerId"]);
                var id = Pick(BadIds);
                if (name == "transactionId" && id.Contains('|', StringComparison.Ordinal))
                {
                    id = "";
                }

                Set(fields, name, Quote(id));
                return "bad " + name;
            }

            case 7:
                Set(fields, "items", Pick(
                [
                    "\"x\"", "{}", "[1]", "[null]", "[{\"quantity\":1,\"price\":1}]", "[{\"sku\":\"a\",\"quantity\":0,\"price\":1}]", "[{\"sku\":\"a\",\"quantity\":1,\"price\":-1}]",
                    "[{\"sku\":\"\",\"quantity\":1,\"price\":1}]", "[{\"sku\":\"" + new string('s', 65) + "\",\"quantity\":1,\"price\":1}]",
                    "[" + string.Join(',', Enumerable.Repeat("{\"sku\":\"a\",\"quantity\":1,\"price\":1}", 201)) + "]",
                ]));
                return "bad items";

            default:
                Set(fields, Pick(["transactionId", "customerId"]), Quote(new string('Z', _random.Next(4097, 20_000))));
                return "huge string";
        }
    }

    private string BreakContact(List<(string Name, string Json)> fields)
    {
        switch (_random.Next(9))
        {
            case 7:
            {
                // 50 attributes of at most 256 UTF-16 units each: within the limits, too large to store once escaped.
                var count = _random.Next(30, 51);
                Set(fields, "attributes", "{" + string.Join(',', Enumerable.Range(0, count).Select(k => $"\"k{k}\":\"{AstralText(128)}\"")) + "}");
                return "unstorable attributes";
            }

            case 8:
                Set(fields, "updatedAt", Quote(Pick(["2999-01-01T00:00:00Z", "1899-12-31T00:00:00Z", "2024-01-01T00:00:00", "now", "2024-02-30T00:00:00Z"])));
                return "bad updatedAt";

            case 0:
                fields.RemoveAll(f => f.Name == "customerId");
                return "missing customerId";

            case 1:
                Set(fields, Pick(["customerId", "email", "firstName", "country", "createdAt", "marketingConsent"]), Pick(["12", "{}", "[]", "\"yes\"", "1e400"]) is var wrong && wrong == "\"yes\"" ? "12" : wrong);
                return "wrong type";

            case 2:
                Set(fields, "email", Quote(Pick(["no at sign", "a@b", "@example.com", "a@", "a@@b.com", "a b@c.d", "a\u0000@b.c", new string('e', 250) + "@b.com", "a@b.c\n"])));
                return "bad email";

            case 3:
                Set(fields, Pick(["firstName", "lastName"]), Quote(Pick([new string('n', 101), "Ada\u0000", "Ada\u001B[31m", "\u0007"])));
                return "bad name";

            case 4:
                Set(fields, "country", Quote(Pick(["de", "DEU", "D", "", "1A", "ÄÖ"])));
                return "bad country";

            case 5:
                Set(fields, "createdAt", Quote(Pick(["1899-01-01T00:00:00Z", "2999-01-01T00:00:00Z", "2024-01-01", "tomorrow", "2024-01-01T00:00:00+24:00"])));
                return "bad createdAt";

            default:
                Set(fields, "attributes", Pick(
                [
                    "[]", "\"x\"", "{\"a\":null}", "{\"a\":{}}", "{\"a\":[1]}", "{\"\":\"x\"}", "{\"" + new string('k', 65) + "\":\"x\"}", "{\"a\":\"" + new string('v', 257) + "\"}",
                    "{\"a\u0001\":\"x\"}", "{\"a\":\"x\u0000\"}", "{" + string.Join(',', Enumerable.Range(0, 51).Select(k => $"\"k{k}\":1")) + "}", "{\"\\uD800\":\"x\"}",
                ]));
                return "bad attributes";
        }
    }

    private static void Set(List<(string Name, string Json)> fields, string name, string json)
    {
        fields.RemoveAll(f => f.Name == name);
        fields.Add((name, json));
    }

    /// <summary>A JSON string literal; lone surrogates and control characters become \u escapes, as a hostile client would send them.</summary>
    private static string Quote(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when c < ' ' || char.IsSurrogate(c) || c == '\u007F' => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return text.Append('"').ToString();
    }

    private T Pick<T>(IReadOnlyList<T> values) => values[_random.Next(values.Count)];
}
