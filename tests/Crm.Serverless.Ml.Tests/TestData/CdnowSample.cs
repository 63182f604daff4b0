using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Tests.TestData;

/// <summary>
/// The CDNOW 1/10 sample as purchase histories. A deliberately tiny reader for the tests; the product's CSV
/// import lives in Crm.Serverless.Core.
/// </summary>
internal static class CdnowSample
{
    public static readonly DateTime CalibrationEnd = new(1997, 9, 30, 0, 0, 0, DateTimeKind.Utc);
    public static readonly DateTime HoldoutEnd = new(1998, 6, 30, 0, 0, 0, DateTimeKind.Utc);

    private static readonly Lazy<IReadOnlyList<CustomerHistory>> Histories = new(Read);

    /// <summary>Customers in the file's order, which is the order of Fader and Hardie's sample IDs.</summary>
    public static IReadOnlyList<CustomerHistory> Load() => Histories.Value;

    private static List<CustomerHistory> Read() => CdnowCsv.Read("cdnow_sample.csv");

    /// <summary>Repeat purchase days per customer in (calibration end, holdout end], counting a day once.</summary>
    public static int HoldoutPurchaseDays(CustomerHistory history) => history.Purchases
        .Select(purchase => purchase.TimestampUtc.Date)
        .Where(day => day > CalibrationEnd && day <= HoldoutEnd)
        .Distinct()
        .Count();
}
