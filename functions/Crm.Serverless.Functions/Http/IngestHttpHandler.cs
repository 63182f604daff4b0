using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Validation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Crm.Serverless.Functions.Http;

/// <summary>The one path every ingest POST takes: read within limits, parse, store, answer per item.</summary>
public sealed class IngestHttpHandler(JsonBodyReader reader, IngestJsonParser parser, IngestService ingest)
{
    public Task<IActionResult> TransactionsAsync(HttpRequest request, CancellationToken cancellationToken)
        => HandleAsync(request, parser.ParseTransactions, ingest.IngestTransactionsAsync, cancellationToken);

    public Task<IActionResult> ContactsAsync(HttpRequest request, CancellationToken cancellationToken)
        => HandleAsync(request, parser.ParseContacts, ingest.IngestContactsAsync, cancellationToken);

    /// <summary>Any kind of item: <see cref="InteractionsHttp"/> brings its own parser and service.</summary>
    public async Task<IActionResult> HandleAsync<T>(
        HttpRequest request,
        Func<ReadOnlyMemory<byte>, ParsedBody<T>> parse,
        Func<ParsedBody<T>, string, CancellationToken, Task<IReadOnlyList<ItemOutcome>>> store,
        CancellationToken cancellationToken)
        where T : class
    {
        var (body, error) = await reader.ReadAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var parsed = parse(body);
        if (parsed.BodyError is not null)
        {
            return IngestResponses.BodyError(request, parsed);
        }

        var outcomes = await store(parsed, IngestSource.Http, cancellationToken);
        return IngestResponses.For(request, parsed.IsBatch, outcomes);
    }
}
