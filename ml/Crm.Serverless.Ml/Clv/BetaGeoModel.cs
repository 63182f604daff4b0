namespace Crm.Serverless.Ml.Clv;

/// <summary>
/// BG/NBD parameters (Fader, Hardie &amp; Lee 2005): purchase rate lambda ~ Gamma(shape r, rate alpha) per time
/// unit; after each repeat purchase a customer drops out with probability p ~ Beta(a, b).
/// </summary>
public readonly record struct BetaGeoParameters(double R, double Alpha, double A, double B);

/// <summary>
/// The BG/NBD formulas for one customer history (x, t_x, T). Pure functions of the parameters, so fitting,
/// scoring and tests share one definition.
/// </summary>
public sealed class BetaGeoModel
{
    // E[Y] has (a - 1) in a denominator; its limit at a = 1 is finite, so nudge a off the removable singularity.
    private const double SingularityGap = 1e-7;

    public BetaGeoModel(BetaGeoParameters parameters)
    {
        if (!(parameters.R > 0 && parameters.Alpha > 0 && parameters.A > 0 && parameters.B > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(parameters), parameters, "BG/NBD parameters must be positive.");
        }

        Parameters = parameters;
    }

    public BetaGeoParameters Parameters { get; }

    /// <summary>P(alive at T | x, t_x, T). A customer with no repeat purchase cannot have dropped out (dropout follows a purchase).</summary>
    public double ProbabilityAlive(int x, double recency, double age)
    {
        if (x == 0)
        {
            return 1;
        }

        var (r, alpha, a, b) = Parameters;
        var logOdds = Math.Log(a / (b + x - 1)) + (r + x) * Math.Log((alpha + age) / (alpha + recency));
        return 1 / (1 + Math.Exp(logOdds));
    }

    /// <summary>E[X(t)]: repeat purchases in (0, t] of a new customer (Fader, Hardie &amp; Lee eq. 9).</summary>
    public double ExpectedPurchases(double t)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(t);
        var (r, alpha, a, b) = Parameters;
        a = AwayFromOne(a);
        var hypergeometric = GaussHypergeometric.Evaluate(r, b, a + b - 1, t / (alpha + t));
        return (a + b - 1) / (a - 1) * (1 - Math.Pow(alpha / (alpha + t), r) * hypergeometric);
    }

    /// <summary>E[Y(t) | x, t_x, T]: purchases in (T, T + t] (eq. 10), i.e. P(alive) times <see cref="ExpectedPurchasesIfAlive"/>.</summary>
    public double ConditionalExpectedPurchases(double t, int x, double recency, double age)
        => ProbabilityAlive(x, recency, age) * ExpectedPurchasesIfAlive(t, x, recency, age);

    /// <summary>E[Y(t) | alive at T, x, T]: the numerator of eq. 10.</summary>
    public double ExpectedPurchasesIfAlive(double t, int x, double recency, double age)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(t);
        if (t == 0)
        {
            return 0;
        }

        var (r, alpha, a, b) = Parameters;
        a = AwayFromOne(a);
        var z = t / (alpha + age + t);

        // Eq. 10 has 2F1(r+x, b+x; a+b+x-1; z) (1-z)^(r+x). Euler's transformation turns that product into
        // (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z), whose series stays small and fast for any x.
        var c = a + b + x - 1;
        var hypergeometric = GaussHypergeometric.Evaluate(a + b - 1 - r, a - 1, c, z);
        var survivor = Math.Exp((a - 1) * Math.Log(1 - z)) * hypergeometric;
        return c / (a - 1) * (1 - survivor);
    }

    /// <summary>
    /// P(no purchase in (T, T + t] | x, t_x, T) = (1 - P(alive)) + P(alive) ((alpha + T) / (alpha + T + t))^(r + x):
    /// a customer who has dropped out buys nothing, and a living one's rate has posterior Gamma(r + x, alpha + T).
    /// Its complement is the BG/NBD model's purchase probability for the window.
    /// </summary>
    public double ProbabilityNoPurchase(double t, int x, double recency, double age)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(t);
        var (r, alpha, _, _) = Parameters;
        var alive = ProbabilityAlive(x, recency, age);
        return (1 - alive) + (alive * Math.Exp((r + x) * Math.Log((alpha + age) / (alpha + age + t))));
    }

    /// <summary>
    /// Time after T by which the customer has made another purchase with probability <paramref name="probability"/>,
    /// or null when that probability is never reached (P(alive) too low).
    /// </summary>
    /// <remarks>
    /// Dropout only happens right after a purchase, so an alive customer stays alive until the next one; given
    /// alive, lambda ~ Gamma(r + x, alpha + T) and P(no purchase in w) = ((alpha + T) / (alpha + T + w))^(r + x).
    /// Setting P(alive) (1 - that) = probability gives a closed form.
    /// </remarks>
    public double? TimeToNextPurchase(int x, double recency, double age, double probability = 0.5)
    {
        if (!(probability > 0 && probability < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "Must be in (0, 1).");
        }

        var alive = ProbabilityAlive(x, recency, age);
        if (alive <= probability)
        {
            return null;
        }

        var (r, alpha, _, _) = Parameters;
        var noPurchase = 1 - probability / alive;
        return (alpha + age) * (Math.Exp(-Math.Log(noPurchase) / (r + x)) - 1);
    }

    private static double AwayFromOne(double a)
        => Math.Abs(a - 1) < SingularityGap ? (a < 1 ? 1 - SingularityGap : 1 + SingularityGap) : a;
}
