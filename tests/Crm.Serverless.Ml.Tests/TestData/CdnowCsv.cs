using System.Globalization;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Tests.TestData;

/// <summary>
/// Test-only reader for the shipped CDNOW files (data/cdnow/*.csv); the product's CSV import lives in
/// Crm.Serverless.Core. Customers come in the file's order.
/// </summary>
internal static class CdnowCsv
{
    public static IReadOnlyList<CustomerHistory> ReadMaster() => Read("cdnow_master.csv");

    public static List<CustomerHistory> Read(string fileName)
    {
        // transactionId,customerId,timestamp,amount,currency,quantity
        var purchases = new Dictionary<string, List<Purchase>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var line in File.ReadLines(RepoPaths.Combine("data", "cdnow", fileName)).Skip(1).Where(line => line.Length > 0))
        {
            var fields = line.Split(',');
            var timestamp = DateTime.ParseExact(fields[2], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
            if (!purchases.TryGetValue(fields[1], out var list))
            {
                purchases[fields[1]] = list = [];
                order.Add(fields[1]);
            }

            list.Add(new Purchase(timestamp, double.Parse(fields[3], CultureInfo.InvariantCulture)));
        }

        return [.. order.Select(id => new CustomerHistory(id, purchases[id]))];
    }
}
