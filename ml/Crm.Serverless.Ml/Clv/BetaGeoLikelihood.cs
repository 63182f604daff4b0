namespace Crm.Serverless.Ml.Clv;

/// <summary>
/// The BG/NBD log-likelihood and its analytic gradient over aggregated (x, t_x, T) patterns.
/// </summary>
/// <remarks>
/// For integer x, ln Gamma(r + x) - ln Gamma(r) = sum of ln(r + k) for k &lt; x and the digamma differences are
/// sums of 1/(r + k); tables over x turn every special function into a lookup, leaving two logs and one exp
/// per pattern.
/// </remarks>
internal sealed class BetaGeoLikelihood
{
    private readonly int[] _x;
    private readonly double[] _recency;
    private readonly double[] _age;
    private readonly double[] _weight;
    private readonly double _totalWeight;
    private readonly int _maxX;

    public BetaGeoLikelihood(CustomerSummaries summaries)
    {
        var patterns = PurchasePatterns.Group(summaries);
        _x = new int[patterns.Count];
        _recency = new double[patterns.Count];
        _age = new double[patterns.Count];
        _weight = new double[patterns.Count];
        for (var i = 0; i < patterns.Count; i++)
        {
            (_x[i], _recency[i], _age[i]) = patterns.Keys[i];
            _weight[i] = patterns.Counts[i];
            _maxX = Math.Max(_maxX, _x[i]);
        }

        _totalWeight = summaries.Count;
    }

    public int Patterns => _x.Length;

    public double LogLikelihood(BetaGeoParameters parameters)
        => -NegativeMeanLogLikelihood(
            [Math.Log(parameters.R), Math.Log(parameters.Alpha), Math.Log(parameters.A), Math.Log(parameters.B)],
            new double[4]) * _totalWeight;

    /// <summary>-mean LL at exp(logParameters); writes its gradient with respect to the log-parameters.</summary>
    public double NegativeMeanLogLikelihood(double[] logParameters, double[] gradient)
    {
        var r = Math.Exp(logParameters[0]);
        var alpha = Math.Exp(logParameters[1]);
        var a = Math.Exp(logParameters[2]);
        var b = Math.Exp(logParameters[3]);
        var tables = new IncrementTables(r, a, b, _maxX);
        var logAlpha = Math.Log(alpha);
        var logA = Math.Log(a);

        double sum = 0, dr = 0, dAlpha = 0, da = 0, db = 0;
        for (var i = 0; i < _x.Length; i++)
        {
            var x = _x[i];
            var w = _weight[i];
            var rx = r + x;
            var logAlphaT = Math.Log(alpha + _age[i]);
            var a3 = -rx * logAlphaT;
            var common = tables.LogGammaR[x] + r * logAlpha + tables.LogGammaB[x] - tables.LogGammaAB[x];

            double mixture, u3, u4, logAlphaTx = 0;
            if (x > 0)
            {
                logAlphaTx = Math.Log(alpha + _recency[i]);
                var a4 = logA - Math.Log(b + x - 1) - rx * logAlphaTx;

                // log(e^a3 + e^a4) without overflow; u3, u4 are the two terms' shares of the sum.
                var max = Math.Max(a3, a4);
                var e3 = Math.Exp(a3 - max);
                var e4 = Math.Exp(a4 - max);
                mixture = max + Math.Log(e3 + e4);
                u3 = e3 / (e3 + e4);
                u4 = 1 - u3;
            }
            else
            {
                mixture = a3;
                u3 = 1;
                u4 = 0;
            }

            sum += w * (common + mixture);
            dr += w * (tables.DigammaR[x] + logAlpha - u3 * logAlphaT - u4 * logAlphaTx);
            dAlpha += w * (r / alpha - rx * (u3 / (alpha + _age[i]) + (x > 0 ? u4 / (alpha + _recency[i]) : 0)));
            da += w * (-tables.DigammaAB[x] + u4 / a);
            db += w * (tables.DigammaB[x] - tables.DigammaAB[x] - (x > 0 ? u4 / (b + x - 1) : 0));
        }

        // Chain rule to log-parameters, sign flip to minimise, mean so tolerances do not scale with the data.
        gradient[0] = -dr * r / _totalWeight;
        gradient[1] = -dAlpha * alpha / _totalWeight;
        gradient[2] = -da * a / _totalWeight;
        gradient[3] = -db * b / _totalWeight;
        return -sum / _totalWeight;
    }

    /// <summary>ln Gamma(s + x) - ln Gamma(s) and psi(s + x) - psi(s) for s in {r, b, a + b} and x = 0..max.</summary>
    private readonly struct IncrementTables
    {
        public IncrementTables(double r, double a, double b, int maxX)
        {
            LogGammaR = new double[maxX + 1];
            LogGammaB = new double[maxX + 1];
            LogGammaAB = new double[maxX + 1];
            DigammaR = new double[maxX + 1];
            DigammaB = new double[maxX + 1];
            DigammaAB = new double[maxX + 1];
            for (var k = 0; k < maxX; k++)
            {
                LogGammaR[k + 1] = LogGammaR[k] + Math.Log(r + k);
                LogGammaB[k + 1] = LogGammaB[k] + Math.Log(b + k);
                LogGammaAB[k + 1] = LogGammaAB[k] + Math.Log(a + b + k);
                DigammaR[k + 1] = DigammaR[k] + 1 / (r + k);
                DigammaB[k + 1] = DigammaB[k] + 1 / (b + k);
                DigammaAB[k + 1] = DigammaAB[k] + 1 / (a + b + k);
            }
        }

        public double[] LogGammaR { get; }
        public double[] LogGammaB { get; }
        public double[] LogGammaAB { get; }
        public double[] DigammaR { get; }
        public double[] DigammaB { get; }
        public double[] DigammaAB { get; }
    }
}
