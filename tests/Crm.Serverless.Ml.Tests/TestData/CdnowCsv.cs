using System.Globalization;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Tests.TestData;

/// <summary>Test-only reader for data/cdnow/cdnow_master.csv; the product's CSV import lives elsewhere.</summary>
internal static class CdnowCsv
{
    public static IReadOnlyList<CustomerHistory> ReadMaster()
    {
        var path = Path.Combine(RepositoryRoot(), "data", "cdnow", "cdnow_master.csv");
        var purchases = new Dictionary<string, List<Purchase>>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            // transactionId,customerId,timestamp,amount,currency,quantity
            var fields = line.Split(',');
            var timestamp = DateTime.ParseExact(fields[2], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
            if (!purchases.TryGetValue(fields[1], out var list))
            {
                purchases[fields[1]] = list = [];
            }

            list.Add(new Purchase(timestamp, double.Parse(fields[3], CultureInfo.InvariantCulture)));
        }

        return [.. purchases.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new CustomerHistory(p.Key, p.Value))];
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Crm.Serverless.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Crm.Serverless.sln not found above the test output folder.");
    }
}
