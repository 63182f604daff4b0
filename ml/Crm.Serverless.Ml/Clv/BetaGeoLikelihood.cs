namespace Crm.Serverless.Ml.Clv;

/// <summary>
/// The BG/NBD log-likelihood and its analytic gradient over aggregated (x, t_x, T) patterns.
/// </summary>
/// <remarks>
/// Every special function becomes a lookup: for integer x, ln Gamma(r + x) - ln Gamma(r) is a running sum of
/// ln(r + k) and the digamma differences running sums of 1/(r + k), tabulated over x; t_x and T are whole days,
/// so ln(alpha + t) is tabulated over the distinct times. A pattern then costs one exp and one log, and fixed
/// chunks evaluated in parallel and added in order keep the result bit-for-bit reproducible.
/// </remarks>
internal sealed class BetaGeoLikelihood
{
    private const int Chunks = 16;

    private readonly int[] _x;
    private readonly int[] _recencyIndex;
    private readonly int[] _ageIndex;
    private readonly double[] _weight;
    private readonly double[] _times;
    private readonly double _totalWeight;
    private readonly int _maxX;

    public BetaGeoLikelihood(CustomerSummaries summaries)
    {
        var patterns = PurchasePatterns.Group(summaries);
        var timeIndex = new Dictionary<double, int>();
        _x = new int[patterns.Count];
        _recencyIndex = new int[patterns.Count];
        _ageIndex = new int[patterns.Count];
        _weight = new double[patterns.Count];
        for (var i = 0; i < patterns.Count; i++)
        {
            var (x, recency, age) = patterns.Keys[i];
            _x[i] = x;
            _recencyIndex[i] = IndexOf(timeIndex, recency);
            _ageIndex[i] = IndexOf(timeIndex, age);
            _weight[i] = patterns.Counts[i];
            _maxX = Math.Max(_maxX, x);
        }

        _times = new double[timeIndex.Count];
        foreach (var (time, index) in timeIndex)
        {
            _times[index] = time;
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
        var point = new Point(
            Math.Exp(logParameters[0]),
            Math.Exp(logParameters[1]),
            Math.Exp(logParameters[2]),
            Math.Exp(logParameters[3]),
            _maxX,
            _times);

        var partials = new Sums[Chunks];
        var chunkSize = (_x.Length + Chunks - 1) / Chunks;
        Parallel.For(0, Chunks, chunk =>
            partials[chunk] = Accumulate(point, chunk * chunkSize, Math.Min(_x.Length, (chunk + 1) * chunkSize)));

        var total = default(Sums);
        foreach (var partial in partials)
        {
            total += partial;
        }

        // Chain rule to log-parameters, sign flip to minimise, mean so tolerances do not scale with the data.
        gradient[0] = -total.R * point.R / _totalWeight;
        gradient[1] = -total.Alpha * point.Alpha / _totalWeight;
        gradient[2] = -total.A * point.A / _totalWeight;
        gradient[3] = -total.B * point.B / _totalWeight;
        return -total.LogLikelihood / _totalWeight;
    }

    private Sums Accumulate(Point point, int from, int to)
    {
        var (r, alpha, a, b) = (point.R, point.Alpha, point.A, point.B);
        double sum = 0, dr = 0, dAlpha = 0, da = 0, db = 0;
        for (var i = from; i < to; i++)
        {
            var x = _x[i];
            var w = _weight[i];
            var rx = r + x;
            var ageIndex = _ageIndex[i];
            var logAlphaT = point.LogAlphaPlus[ageIndex];
            var a3 = -rx * logAlphaT;
            var common = point.LogGammaR[x] + r * point.LogAlpha + point.LogGammaB[x] - point.LogGammaAB[x];

            if (x == 0)
            {
                sum += w * (common + a3);
                dr += w * (point.LogAlpha - logAlphaT);
                dAlpha += w * (r / alpha - rx * point.InverseAlphaPlus[ageIndex]);
                continue;
            }

            var recencyIndex = _recencyIndex[i];
            var logAlphaTx = point.LogAlphaPlus[recencyIndex];
            var a4 = point.LogA - Math.Log(b + x - 1) - rx * logAlphaTx;

            // log(e^a3 + e^a4) without overflow; u3, u4 are the two terms' shares of the sum.
            var max = Math.Max(a3, a4);
            var ratio = Math.Exp(Math.Min(a3, a4) - max);
            var mixture = max + Math.Log(1 + ratio);
            var u3 = a3 >= a4 ? 1 / (1 + ratio) : ratio / (1 + ratio);
            var u4 = 1 - u3;

            sum += w * (common + mixture);
            dr += w * (point.DigammaR[x] + point.LogAlpha - u3 * logAlphaT - u4 * logAlphaTx);
            dAlpha += w * (r / alpha - rx * (u3 * point.InverseAlphaPlus[ageIndex] + u4 * point.InverseAlphaPlus[recencyIndex]));
            da += w * (-point.DigammaAB[x] + u4 / a);
            db += w * (point.DigammaB[x] - point.DigammaAB[x] - u4 / (b + x - 1));
        }

        // x = 0 patterns contribute nothing to da, db beyond the tables' zero entries, so nothing is lost above.
        return new Sums(sum, dr, dAlpha, da, db);
    }

    private static int IndexOf(Dictionary<double, int> index, double time)
    {
        if (!index.TryGetValue(time, out var position))
        {
            position = index.Count;
            index.Add(time, position);
        }

        return position;
    }

    private readonly record struct Sums(double LogLikelihood, double R, double Alpha, double A, double B)
    {
        public static Sums operator +(Sums left, Sums right) => new(
            left.LogLikelihood + right.LogLikelihood,
            left.R + right.R,
            left.Alpha + right.Alpha,
            left.A + right.A,
            left.B + right.B);
    }

    /// <summary>The parameters and everything that depends only on them and on x or a distinct time.</summary>
    private sealed class Point
    {
        public Point(double r, double alpha, double a, double b, int maxX, double[] times)
        {
            (R, Alpha, A, B) = (r, alpha, a, b);
            LogAlpha = Math.Log(alpha);
            LogA = Math.Log(a);
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

            LogAlphaPlus = new double[times.Length];
            InverseAlphaPlus = new double[times.Length];
            for (var k = 0; k < times.Length; k++)
            {
                LogAlphaPlus[k] = Math.Log(alpha + times[k]);
                InverseAlphaPlus[k] = 1 / (alpha + times[k]);
            }
        }

        public double R { get; }
        public double Alpha { get; }
        public double A { get; }
        public double B { get; }
        public double LogAlpha { get; }
        public double LogA { get; }

        /// <summary>ln Gamma(s + x) - ln Gamma(s) and psi(s + x) - psi(s) for s in {r, b, a + b}, x = 0..max.</summary>
        public double[] LogGammaR { get; }
        public double[] LogGammaB { get; }
        public double[] LogGammaAB { get; }
        public double[] DigammaR { get; }
        public double[] DigammaB { get; }
        public double[] DigammaAB { get; }

        /// <summary>ln(alpha + t) and 1 / (alpha + t) per distinct time.</summary>
        public double[] LogAlphaPlus { get; }
        public double[] InverseAlphaPlus { get; }
    }
}
