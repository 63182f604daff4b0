namespace Crm.Serverless.Core.Domain;

/// <summary>
/// Amounts are stored as whole ten-thousandths in an Int64: Table Storage has no decimal type, doubles would
/// drift when summed, and four places cover every ISO 4217 currency.
/// </summary>
public static class Money
{
    public const int Scale = 4;
    private const decimal Factor = 10_000m;

    /// <summary>The largest amount one purchase may carry; anything larger is a unit mistake, not a sale.</summary>
    public const decimal MaxAmount = 1_000_000_000m;

    public static long ToScaled(decimal amount) => decimal.ToInt64(amount * Factor);

    public static decimal FromScaled(long scaled) => scaled / Factor;

    public static bool HasAtMostScaleDigits(decimal amount) => decimal.Round(amount, Scale) == amount;
}
