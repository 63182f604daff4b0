using System.Text;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Validation;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>JSON through the same parser and ingest service the HTTP door uses, without an HTTP request.</summary>
internal static class IngestCalls
{
    public static async Task<IReadOnlyList<ItemOutcome>> TransactionsAsync(TestHost host, string json, string source = IngestSource.Http)
    {
        var body = host.Get<IngestJsonParser>().ParseTransactions(Encoding.UTF8.GetBytes(json));
        return await host.Get<IngestService>().IngestTransactionsAsync(body, source, CancellationToken.None);
    }

    public static async Task<IReadOnlyList<ItemOutcome>> ContactsAsync(TestHost host, string json, string source = IngestSource.Http)
    {
        var body = host.Get<IngestJsonParser>().ParseContacts(Encoding.UTF8.GetBytes(json));
        return await host.Get<IngestService>().IngestContactsAsync(body, source, CancellationToken.None);
    }
}
