using Crm.Serverless.Local;

namespace Crm.Serverless.Core.Tests;

/// <summary>
/// What a user can get wrong with a CSV file, through the real <c>crm</c> process: each case is a message that
/// says what is wrong and what to do, exit code 1, and no stack trace. None of these needs storage.
/// </summary>
public sealed class CsvErrorTests : IDisposable
{
    private static readonly string Sample = Path.Combine(AzuriteLauncher.FindRepositoryRoot(AppContext.BaseDirectory)!, "data", "cdnow", "cdnow_sample.csv");

    /// <summary>The published fit of the CDNOW sample (docs/clv.md), whatever the file's delimiter or decimal mark.</summary>
    private const string PublishedFit = "BG/NBD: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, log-likelihood = -9582.4";

    private readonly string _folder = Directory.CreateTempSubdirectory("crm-csv-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, IEnumerable<string> lines)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>The CDNOW sample with another delimiter and, optionally, decimal commas.</summary>
    private string Sample_(string name, char delimiter, bool decimalComma = false)
        => Write(name, File.ReadLines(Sample).Select(line =>
        {
            var fields = line.Split(',');
            if (decimalComma)
            {
                fields[3] = fields[3].Replace('.', ',');
            }

            return string.Join(delimiter, fields);
        }));

    private static Task<CliRun> FitAsync(string path, params string[] more)
        => CliProcess.RunAsync(["clv", "fit", "--transactions", path, "--calibration-end", "1997-09-30", .. more]);

    private static void AssertUserError(CliRun run, params string[] expected)
    {
        Assert.Equal(1, run.ExitCode);
        Assert.False(run.HasStackTrace, run.All);
        foreach (var part in expected)
        {
            Assert.Contains(part, run.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ClvFit_MissingFile_SaysSo()
        => AssertUserError(await FitAsync(Path.Combine(_folder, "missing.csv")), "No such file", "missing.csv");

    [Fact]
    public async Task Import_MissingFile_SaysSoInsteadOfBlamingStorage()
    {
        var run = await CliProcess.RunAsync(["import", "--transactions", Path.Combine(_folder, "missing.csv")]);

        AssertUserError(run, "No such file", "missing.csv");
        Assert.DoesNotContain("Storage cannot be reached", run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClvFit_UnreadableFiles_SayWhy()
    {
        // A spreadsheet saved as .xlsx is a zip: binary, not text.
        var spreadsheet = Path.Combine(_folder, "shop.xlsx");
        await File.WriteAllBytesAsync(spreadsheet, [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00, 0x21, 0x00, 0x0A]);

        AssertUserError(await FitAsync(spreadsheet), "not a text CSV file", "export it as CSV");
        AssertUserError(await FitAsync(_folder), "is a directory");
    }

    [Fact]
    public async Task ClvFit_WrongHeader_NamesMissingAndFoundColumns()
    {
        var path = Write("wrong.csv", ["id,customer,date,total,currency", "t1,c1,2024-01-01,10.00,USD"]);

        AssertUserError(await FitAsync(path), "lacks the column(s) transactionId, customerId, timestamp, amount", "found id, customer, date, total, currency");
    }

    [Theory]
    [InlineData(';')]
    [InlineData('\t')]
    public async Task ClvFit_SemicolonOrTabDelimiter_IsDetectedAndRead(char delimiter)
    {
        var run = await FitAsync(Sample_("delimited.csv", delimiter));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(PublishedFit, run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClvFit_DecimalComma_NeedsTheFlagAndThenReadsTheAmounts()
    {
        var path = Sample_("comma.csv", ';', decimalComma: true);

        var without = await FitAsync(path);
        var with = await FitAsync(path, "--decimal-comma");

        // Every amount of the sample has decimals, so without the flag no row is usable.
        AssertUserError(without, "No usable rows", "--decimal-comma");
        Assert.Equal(0, with.ExitCode);
        Assert.Contains(PublishedFit, with.Output, StringComparison.Ordinal);
        Assert.Contains("p = 6.25, q = 3.74, gamma = 15.44", with.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClvFit_NoUsableRows_SaysWhyMostRowsFailed()
    {
        var path = Write("bad.csv", ["transactionId,customerId,timestamp,amount,currency", "t1,c1,yesterday,10.00,USD", "t2,c1,today,10.00,USD"]);

        AssertUserError(await FitAsync(path), "No usable rows: all 2 rows", "timestamp");
    }

    [Fact]
    public async Task ClvFit_MixedCurrencies_IsRefusedWithTheCounts()
    {
        var lines = File.ReadLines(Sample).Take(101).ToList();
        lines.AddRange(["x-1,X1,1997-02-01,10.00,EUR", "x-2,X1,1997-03-01,12.00,EUR"]);

        AssertUserError(await FitAsync(Write("mixed.csv", lines)), "mixes currencies", "100 rows in USD", "2 rows in EUR");
    }

    [Fact]
    public async Task ClvFit_OtherCurrencyWithItsConversion_IsUsed()
    {
        var lines = File.ReadLines(Sample).Select(line => line + ",").ToList();
        lines[0] = "transactionId,customerId,timestamp,amount,currency,quantity,amountInReportingCurrency";
        lines.Add("x-1,X1,1997-02-01,10.00,EUR,1,11.00");

        var run = await FitAsync(Write("converted.csv", lines), "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("\"customers\":2358", run.Output, StringComparison.Ordinal);
        Assert.Contains("\"currency\":\"USD\"", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClvFit_NoCustomersByTheCalibrationEnd_IsAMessageNotAnException()
    {
        var run = await CliProcess.RunAsync(["clv", "fit", "--transactions", Sample, "--calibration-end", "1990-01-01"]);

        AssertUserError(run, "Too little to fit", "0 customers", "later --calibration-end");
    }
}
