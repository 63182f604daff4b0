using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Tests.Propensity;

internal static class Histories
{
    public static DateTime Day(int year, int month, int day) => new(year, month, day, 0, 0, 0, DateTimeKind.Utc);

    public static CustomerHistory Customer(string id, params (DateTime At, double Amount)[] purchases)
        => new(id, purchases.Select(p => new Purchase(p.At, p.Amount)));
}
