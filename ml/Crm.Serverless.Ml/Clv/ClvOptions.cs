using System.ComponentModel.DataAnnotations;

namespace Crm.Serverless.Ml.Clv;

/// <summary>CLV settings, bound from the "Clv" configuration section.</summary>
public sealed class ClvOptions
{
    public const string SectionName = "Clv";
    public const int DefaultHorizonMonths = 12;
    public const double DefaultMonthlyDiscountRate = 0.01;

    /// <summary>Unit of recency, age and the fitted alpha. Weeks matches the literature; days suits fast-moving shops.</summary>
    public ClvTimeUnit TimeUnit { get; set; } = ClvTimeUnit.Weeks;

    /// <summary>Months of future purchases a CLV counts.</summary>
    [Range(1, 120)]
    public int HorizonMonths { get; set; } = DefaultHorizonMonths;

    /// <summary>Discount per month applied to future spend (0.01 = 1% a month, about 12.7% a year).</summary>
    [Range(0.0, 1.0)]
    public double MonthlyDiscountRate { get; set; } = DefaultMonthlyDiscountRate;
}
