using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;

namespace Crm.Serverless.Ml.Clv;

/// <summary>
/// Maximises a log-likelihood over positive parameters by minimising its negative mean over their logarithms,
/// so the optimiser is unconstrained and every parameter moves on a relative scale.
/// </summary>
internal static class LogSpaceMinimizer
{
    /// <param name="negativeMeanLogLikelihood">
    /// Given log-parameters, writes d(-mean LL)/d(log-parameter) into the span and returns -mean LL.
    /// </param>
    public static (double[] Parameters, int Iterations) Minimize(
        Func<double[], double[], double> negativeMeanLogLikelihood,
        double[] initialParameters)
    {
        var dimension = initialParameters.Length;
        var objective = ObjectiveFunction.Gradient(point =>
        {
            var gradient = new double[dimension];
            var value = negativeMeanLogLikelihood(point.ToArray(), gradient);
            return (value, Vector<double>.Build.Dense(gradient));
        });
        var start = Vector<double>.Build.Dense(initialParameters.Select(p => Math.Log(p)).ToArray());

        // BFGS with the analytic gradient converges in a few dozen steps; its line search can give up on a
        // flat or badly scaled surface, and then the derivative-free simplex, polished by BFGS, still gets there.
        MinimizationResult result;
        try
        {
            result = new BfgsMinimizer(1e-8, 1e-10, 1e-12, 2_000).FindMinimum(objective, start);
        }
        catch (Exception exception) when (exception is MaximumIterationsException or InnerOptimizationException or OptimizationException)
        {
            var simplex = NelderMeadSimplex.Minimum(
                ObjectiveFunction.Value(point => negativeMeanLogLikelihood(point.ToArray(), new double[dimension])),
                start,
                1e-14,
                20_000);
            result = simplex;
        }

        return (result.MinimizingPoint.Select(Math.Exp).ToArray(), result.Iterations);
    }
}
