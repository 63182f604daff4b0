using MathNet.Numerics.Distributions;

namespace Crm.Serverless.Core.Campaigns;

/// <summary>A difference (treatment - control) with its 95% confidence interval and the method that gave it.</summary>
public sealed record Uplift(double Estimate, double Lower, double Upper, string Method)
{
    public bool SpansZero => Lower <= 0 && Upper >= 0;
}

/// <summary>The two 95% intervals of a campaign report, written out so a test can recompute them by hand.</summary>
public static class UpliftIntervals
{
    /// <summary>z for a two-sided 95% interval.</summary>
    public const double Z95 = 1.959963984540054;

    public const string NewcombeMethod = "Newcombe hybrid score (Wilson intervals per group)";

    public const string WelchMethod = "Welch t (unequal variances, Welch-Satterthwaite df)";

    /// <summary>
    /// Newcombe's hybrid score interval for p1 - p2 (his method 10): each rate's Wilson interval (l, u), then
    /// d - sqrt((p1 - l1)^2 + (u2 - p2)^2) to d + sqrt((u1 - p1)^2 + (p2 - l2)^2). Unlike Wald it stays inside
    /// [-1, 1] and is usable with no or all responders, which small control groups often have.
    /// </summary>
    public static Uplift Newcombe(int x1, int n1, int x2, int n2)
    {
        var (p1, l1, u1) = Wilson(x1, n1);
        var (p2, l2, u2) = Wilson(x2, n2);
        var d = p1 - p2;
        return new Uplift(d, d - Math.Sqrt(Square(p1 - l1) + Square(u2 - p2)), d + Math.Sqrt(Square(u1 - p1) + Square(p2 - l2)), NewcombeMethod);
    }

    /// <summary>The Wilson score interval of x/n at 95%.</summary>
    public static (double P, double Lower, double Upper) Wilson(int x, int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var p = (double)x / n;
        var z2 = Z95 * Z95;
        var centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        var half = Z95 * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
        return (p, centre - half, centre + half);
    }

    /// <summary>
    /// Welch's interval for mean1 - mean2: se = sqrt(s1^2/n1 + s2^2/n2), df = se^4 / ((s1^2/n1)^2/(n1-1) + (s2^2/n2)^2/(n2-1)),
    /// half-width t(0.975, df) * se. Revenue per customer is mostly zeros with a long tail, and the groups differ in
    /// size by design, so the variances are not pooled. Null when either group has fewer than two members or
    /// neither varies (no interval exists).
    /// </summary>
    public static Uplift? Welch(GroupTally treatment, GroupTally control)
    {
        ArgumentNullException.ThrowIfNull(treatment);
        ArgumentNullException.ThrowIfNull(control);
        return Welch((treatment.Customers, treatment.Revenue, treatment.RevenueSquares), (control.Customers, control.Revenue, control.RevenueSquares));
    }

    /// <summary>Welch's interval of margin per customer, as <see cref="Welch(GroupTally, GroupTally)"/>; null also while either group's margin is unknown.</summary>
    public static Uplift? WelchMargin(GroupTally treatment, GroupTally control)
    {
        ArgumentNullException.ThrowIfNull(treatment);
        ArgumentNullException.ThrowIfNull(control);
        return treatment.MarginKnown && control.MarginKnown
            ? Welch((treatment.Customers, treatment.Margin, treatment.MarginSquares), (control.Customers, control.Margin, control.MarginSquares))
            : null;
    }

    /// <summary>Mean and sample variance (n - 1) of per-customer revenue, members without a purchase counting 0.</summary>
    private static (double Mean, double Variance) MeanAndVariance(GroupTally group)
    {
        ArgumentNullException.ThrowIfNull(group);
        return MeanAndVariance((group.Customers, group.Revenue, group.RevenueSquares));
    }

    /// <summary>Welch's interval from each group's (n, sum, sum of squares) of a per-customer amount.</summary>
    private static Uplift? Welch((int N, double Sum, double Squares) treatment, (int N, double Sum, double Squares) control)
    {
        if (treatment.N < 2 || control.N < 2)
        {
            return null;
        }

        var (m1, v1) = MeanAndVariance(treatment);
        var (m2, v2) = MeanAndVariance(control);
        var a = v1 / treatment.N;
        var b = v2 / control.N;
        var se = Math.Sqrt(a + b);
        if (se == 0)
        {
            return null;
        }

        var df = Square(a + b) / (Square(a) / (treatment.N - 1) + Square(b) / (control.N - 1));
        var half = StudentT.InvCDF(0, 1, df, 0.975) * se;
        return new Uplift(m1 - m2, m1 - m2 - half, m1 - m2 + half, WelchMethod);
    }

    private static (double Mean, double Variance) MeanAndVariance((int N, double Sum, double Squares) group)
    {
        var n = group.N;
        var mean = group.Sum / n;
        var variance = n < 2 ? 0 : Math.Max(0, (group.Squares - n * mean * mean) / (n - 1));
        return (mean, variance);
    }

    private static double Square(double x) => x * x;
}
