namespace Crm.Serverless.Ml.Clv;

/// <summary>
/// The Gauss hypergeometric function 2F1(a, b; c; z) for real z &lt; 1, which MathNet.Numerics does not provide.
/// The BG/NBD conditional expectation needs it for 0 &lt;= z &lt; 1.
/// </summary>
public static class GaussHypergeometric
{
    private const int MaxTerms = 200_000;
    private const double RelativeTolerance = 1e-15;

    /// <exception cref="ArgumentOutOfRangeException">z &gt;= 1, or c is zero or a negative integer.</exception>
    /// <exception cref="ArithmeticException">The series did not converge within its term budget.</exception>
    public static double Evaluate(double a, double b, double c, double z)
    {
        if (!(z < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(z), z, "Only z < 1 is supported.");
        }

        if (c <= 0 && c == Math.Floor(c))
        {
            throw new ArgumentOutOfRangeException(nameof(c), c, "c must not be zero or a negative integer.");
        }

        // Pfaff: 2F1(a,b;c;z) = (1-z)^-a 2F1(a, c-b; c; z/(z-1)) maps every z < 0 into [0, 1),
        // where the series has positive-ratio terms (for the parameters the models use) and converges.
        if (z < 0)
        {
            return Math.Pow(1 - z, -a) * Series(a, c - b, c, z / (z - 1));
        }

        return Series(a, b, c, z);
    }

    private static double Series(double a, double b, double c, double z)
    {
        var term = 1.0;
        var sum = 1.0;
        for (var n = 0; n < MaxTerms; n++)
        {
            term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z;
            sum += term;
            if (term == 0)
            {
                return sum;
            }

            // Stop when the tail is negligible: once n is past the parameters the ratio is about z, so the rest is
            // at most |term| z / (1 - z).
            if (n > Math.Abs(a) + Math.Abs(b) && Math.Abs(term) * (1 + z / (1 - z)) <= RelativeTolerance * Math.Abs(sum))
            {
                return sum;
            }
        }

        throw new ArithmeticException($"2F1({a}, {b}; {c}; {z}) did not converge in {MaxTerms} terms.");
    }
}
