using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;

namespace Crm.Serverless.Ml.Clv;

/// <summary>
/// Maximises a log-likelihood over positive parameters by minimising its negative mean over their logarithms,
/// so the optimiser is unconstrained and every parameter moves on a relative scale.
/// </summary>
internal static class LogSpaceMinimizer
{
    // On the mean log-likelihood in log-parameters, a gradient this small means the fit has converged to far
    // more digits than the data support.
    private const double StationaryGradient = 1e-6;

    /// <param name="negativeMeanLogLikelihood">
    /// Given log-parameters, writes d(-mean LL)/d(log-parameter) into the span and returns -mean LL.
    /// </param>
    public static (double[] Parameters, int Iterations) Minimize(
        Func<double[], double[], double> negativeMeanLogLikelihood,
        double[] initialParameters)
    {
        var dimension = initialParameters.Length;
        var withGradient = ObjectiveFunction.Gradient(point =>
        {
            var gradient = new double[dimension];
            var value = negativeMeanLogLikelihood(point.ToArray(), gradient);
            return (value, Vector<double>.Build.Dense(gradient));
        });
        var start = Vector<double>.Build.Dense(initialParameters.Select(p => Math.Log(p)).ToArray());

        // BFGS with the analytic gradient converges in a few dozen evaluations. It can also stop early without
        // complaint (a failed line search on a flat or badly scaled surface), so trust it only where the gradient
        // vanishes; otherwise restart from the derivative-free simplex's answer and keep whichever is better.
        var bfgs = TryBfgs(withGradient, start);
        if (bfgs is not null && IsStationary(bfgs))
        {
            return (ToParameters(bfgs), bfgs.Iterations);
        }

        var simplex = NelderMeadSimplex.Minimum(
            ObjectiveFunction.Value(point => negativeMeanLogLikelihood(point.ToArray(), new double[dimension])),
            start,
            1e-12,
            50_000);
        var polished = TryBfgs(withGradient, simplex.MinimizingPoint);
        var best = polished is not null && polished.FunctionInfoAtMinimum.Value <= simplex.FunctionInfoAtMinimum.Value
            ? polished
            : simplex;
        return (ToParameters(best), simplex.Iterations + (polished?.Iterations ?? 0));
    }

    private static MinimizationResult? TryBfgs(IObjectiveFunction objective, Vector<double> start)
    {
        try
        {
            return new BfgsMinimizer(1e-8, 1e-10, 1e-12, 2_000).FindMinimum(objective, start);
        }
        catch (OptimizationException)
        {
            return null;
        }
    }

    private static bool IsStationary(MinimizationResult result)
        => result.FunctionInfoAtMinimum.Gradient.InfinityNorm() <= StationaryGradient;

    private static double[] ToParameters(MinimizationResult result)
        => result.MinimizingPoint.Select(Math.Exp).ToArray();
}
