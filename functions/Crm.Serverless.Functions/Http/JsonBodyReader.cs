using Crm.Serverless.Core.Ingestion;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Crm.Serverless.Functions.Http;

/// <summary>
/// Reads a JSON request body within the size limit, refusing a wrong content type (415) or an oversize body (413)
/// before parsing anything; a body that lies about its length is cut off at the limit, not read to the end.
/// </summary>
public sealed class JsonBodyReader(IOptions<IngestOptions> options)
{
    public async Task<(ReadOnlyMemory<byte> Body, ApiResult? Error)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IsJson(request.ContentType))
        {
            return (default, Problems.UnsupportedMediaType(request));
        }

        var max = options.Value.MaxBodyBytes;
        if (request.ContentLength > max)
        {
            return (default, Problems.TooLarge(request, $"The body is {request.ContentLength} bytes; the limit is {max}."));
        }

        var buffer = new byte[Math.Min(max + 1, (int?)request.ContentLength + 1 ?? 64 * 1024)];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (buffer.Length > max)
                {
                    return (default, Problems.TooLarge(request, $"The body exceeds the limit of {max} bytes."));
                }

                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, max + 1));
            }

            var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        return (buffer.AsMemory(0, length), null);
    }

    private static bool IsJson(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
        {
            return false;
        }

        var charset = mediaType.Charset.Value;
        var type = mediaType.MediaType.Value ?? "";
        return (charset is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
            && (type.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }
}
