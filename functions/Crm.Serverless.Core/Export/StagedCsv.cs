using Azure.Storage.Blobs;

namespace Crm.Serverless.Core.Export;

/// <summary>A CSV written in full to a blob, with its length and rows known before the first byte is sent; disposing deletes it.</summary>
public sealed class StagedCsv(BlobClient blob, long length, int rows) : IAsyncDisposable
{
    public long Length { get; } = length;

    public int Rows { get; } = rows;

    public async Task<Stream> OpenReadAsync(CancellationToken cancellationToken) => await blob.OpenReadAsync(cancellationToken: cancellationToken);

    public async ValueTask DisposeAsync() => await blob.DeleteIfExistsAsync();
}
