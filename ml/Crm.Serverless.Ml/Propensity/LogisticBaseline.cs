namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// A one-feature logistic regression on log(1 + x): a baseline that ranks exactly like the raw feature but outputs
/// probabilities, so its log-loss and ECE compare fairly with the model's.
/// </summary>
public sealed record LogisticBaseline(string FeatureName, double Intercept, double Slope)
{
    private const int NewtonSteps = 50;
    private const double Ridge = 1e-6;

    public float Predict(float value) => (float)(1 / (1 + Math.Exp(-(Intercept + (Slope * Transform(value))))));

    /// <summary>Fits by Newton-Raphson on the given feature column of <paramref name="rows"/>.</summary>
    public static LogisticBaseline Fit(LabelledRows rows, int feature)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var n = rows.Count;
        var x = new double[n];
        for (var i = 0; i < n; i++)
        {
            x[i] = Transform(rows.Value(i, feature));
        }

        double intercept = 0, slope = 0;
        for (var step = 0; step < NewtonSteps; step++)
        {
            double g0 = 0, g1 = 0, h00 = Ridge, h01 = 0, h11 = Ridge;
            for (var i = 0; i < n; i++)
            {
                var p = 1 / (1 + Math.Exp(-(intercept + (slope * x[i]))));
                var residual = (rows.Label(i) ? 1 : 0) - p;
                var weight = p * (1 - p);
                g0 += residual;
                g1 += residual * x[i];
                h00 += weight;
                h01 += weight * x[i];
                h11 += weight * x[i] * x[i];
            }

            var determinant = (h00 * h11) - (h01 * h01);
            var d0 = ((h11 * g0) - (h01 * g1)) / determinant;
            var d1 = ((h00 * g1) - (h01 * g0)) / determinant;
            intercept += d0;
            slope += d1;
            if (Math.Abs(d0) + Math.Abs(d1) < 1e-10)
            {
                break;
            }
        }

        return new LogisticBaseline(CustomerFeatures.Names[feature], intercept, slope);
    }

    // Counts and day spans are heavily right-skewed; the log keeps one extreme customer from flattening the fit.
    private static double Transform(float value) => Math.Log(1 + Math.Max(value, 0f));
}
