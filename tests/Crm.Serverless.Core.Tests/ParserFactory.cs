using Crm.Serverless.Core.Import;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Validation;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Tests;

internal static class ParserFactory
{
    public static IngestJsonParser Create(IngestOptions? options = null)
    {
        var wrapped = Options.Create(options ?? new IngestOptions());
        return new IngestJsonParser(new TransactionRules(wrapped, TimeProvider.System), new ContactRules(TimeProvider.System), wrapped);
    }

    public static CsvItemReader CreateCsvReader()
    {
        var wrapped = Options.Create(new IngestOptions());
        return new CsvItemReader(new TransactionRules(wrapped, TimeProvider.System), new ContactRules(TimeProvider.System));
    }
}
