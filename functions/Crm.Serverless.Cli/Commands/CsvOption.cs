using System.CommandLine;
using Crm.Serverless.Core.Import;

namespace Crm.Serverless.Cli.Commands;

/// <summary>How the CSV files of a command write numbers; the delimiter needs no option, it is read from the header.</summary>
internal static class CsvOption
{
    public static Option<bool> CreateDecimalComma() => new("--decimal-comma")
    {
        Description = "Amounts use a decimal comma (12,50), as many European exports do",
    };

    public static CsvReadOptions Read(ParseResult parse, Option<bool> decimalComma)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return new CsvReadOptions(DecimalComma: parse.GetValue(decimalComma));
    }
}
