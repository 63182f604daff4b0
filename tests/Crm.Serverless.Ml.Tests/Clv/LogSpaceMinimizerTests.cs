using Crm.Serverless.Ml.Clv;

namespace Crm.Serverless.Ml.Tests.Clv;

public class LogSpaceMinimizerTests
{
    [Fact]
    public void Minimize_SmoothObjective_FindsPositiveOptimum()
    {
        // -mean LL of a bowl centred at (2, 0.5) in the original parameters.
        var (parameters, _) = LogSpaceMinimizer.Minimize(Bowl, [1, 1]);

        Assert.Equal(2, parameters[0], 6);
        Assert.Equal(0.5, parameters[1], 6);
    }

    [Fact]
    public void Minimize_GradientBfgsCannotUse_FallsBackToSimplex()
    {
        // A gradient pointing uphill makes every BFGS line search fail; the simplex ignores gradients.
        var (parameters, _) = LogSpaceMinimizer.Minimize(
            (logParameters, gradient) =>
            {
                var value = Bowl(logParameters, gradient);
                gradient[0] = -gradient[0];
                gradient[1] = -gradient[1];
                return value;
            },
            [1, 1]);

        Assert.Equal(2, parameters[0], 4);
        Assert.Equal(0.5, parameters[1], 4);
    }

    private static double Bowl(double[] logParameters, double[] gradient)
    {
        var p = Math.Exp(logParameters[0]);
        var q = Math.Exp(logParameters[1]);
        gradient[0] = 2 * (p - 2) * p;
        gradient[1] = 2 * (q - 0.5) * q;
        return (p - 2) * (p - 2) + (q - 0.5) * (q - 0.5);
    }
}
