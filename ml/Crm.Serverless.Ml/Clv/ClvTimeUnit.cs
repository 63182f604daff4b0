using System.Text.Json.Serialization;

namespace Crm.Serverless.Ml.Clv;

/// <summary>The unit in which recency, age and prediction horizons are measured. The fitted alpha is per this unit.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ClvTimeUnit>))]
public enum ClvTimeUnit
{
    Weeks,
    Days,
}

public static class ClvTimeUnitExtensions
{
    /// <summary>
    /// A calendar month of 365.25 / 12 days. lifetimes uses 4.345 weeks or 30 days; one definition for both units
    /// keeps a weekly and a daily model's monthly CLV comparable.
    /// </summary>
    public const double DaysPerMonth = 365.25 / 12;

    public static double Days(this ClvTimeUnit unit) => unit switch
    {
        ClvTimeUnit.Weeks => 7,
        ClvTimeUnit.Days => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, "Unknown time unit."),
    };

    public static double PerMonth(this ClvTimeUnit unit) => DaysPerMonth / unit.Days();
}
