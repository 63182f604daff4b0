using System.Text;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Functions.Tests;

/// <summary>Body and batch limits hold for chunked bodies too (no Content-Length), and before the body is read to its end.</summary>
[Collection(AzuriteCollection.Name)]
public class LimitsTests(AzuriteFixture azurite)
{
    private const int MaxBodyBytes = 4096;
    private const string Valid = """{"transactionId":"t1","customerId":"c1","timestamp":"2024-05-01T14:30:00Z","amount":12.50,"currency":"USD"}""";

    private Task<TestHost> StartAsync() => azurite.StartHostAsync(builder => builder.AddCrmFunctions(), new Dictionary<string, string?>
    {
        ["Ingest:MaxBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Ingest:MaxBatchItems"] = "10",
    });

    private static async Task<HttpCall.Response> PostChunkedAsync(TestHost host, Stream body, bool contacts = false)
    {
        var request = HttpCall.Request("POST", contacts ? "/api/contacts" : "/api/transactions", body, "application/json", contentLength: null);
        return await HttpCall.InvokeAsync(request, r => contacts ? host.Create<ContactsHttp>().Post(r, CancellationToken.None) : host.Create<TransactionsHttp>().Post(r, CancellationToken.None));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Post_EndlessChunkedBody_Returns413HavingReadNoMoreThanTheLimit(bool contacts)
    {
        await using var host = await StartAsync();
        var endless = new EndlessJsonStream();

        var response = await PostChunkedAsync(host, endless, contacts);

        Assert.Equal(413, response.Status);
        Assert.Contains("body", response.Errors.Keys);
        Assert.InRange(endless.BytesRead, MaxBodyBytes, MaxBodyBytes + 1);
        Assert.Empty(await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Customers));
    }

    [Fact]
    public async Task Post_ChunkedBodyWithinLimit_IsStored()
    {
        await using var host = await StartAsync();

        var response = await PostChunkedAsync(host, new MemoryStream(Encoding.UTF8.GetBytes(Valid)));

        Assert.Equal(201, response.Status);
        Assert.Equal(1, (await StorageRecount.RecountAsync(host.Get<CrmTables>().Customers))["c1"].Purchases);
    }

    [Fact]
    public async Task Post_ChunkedBatchOverItemLimit_Returns413AndStoresNothing()
    {
        await using var host = await StartAsync();
        var batch = "[" + string.Join(',', Enumerable.Range(0, 11).Select(i => Valid.Replace("\"t1\"", $"\"t{i}\"", StringComparison.Ordinal))) + "]";

        var response = await PostChunkedAsync(host, new MemoryStream(Encoding.UTF8.GetBytes(batch)));

        Assert.Equal(413, response.Status);
        Assert.Contains("at most 10", response.Errors["body"][0], StringComparison.Ordinal);
        Assert.Empty(await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Customers));
    }

    /// <summary>A body that never ends, as a hostile client could stream; counts what the server read of it.</summary>
    private sealed class EndlessJsonStream : Stream
    {
        private static readonly byte[] Chunk = Encoding.UTF8.GetBytes("[" + string.Concat(Enumerable.Repeat(Valid + ",", 20)));

        public long BytesRead { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(count, 997);
            for (var i = 0; i < n; i++)
            {
                buffer[offset + i] = Chunk[(BytesRead + i) % Chunk.Length];
            }

            BytesRead += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
