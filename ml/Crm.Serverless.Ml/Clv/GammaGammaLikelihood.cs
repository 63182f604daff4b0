using MathNet.Numerics;

namespace Crm.Serverless.Ml.Clv;

/// <summary>
/// The Gamma-Gamma log-likelihood of mean spends m given x (Fader &amp; Hardie note 025, eq. 1a) and its gradient.
/// </summary>
/// <remarks>
/// The special functions depend on x only, so they are evaluated once per distinct x; ln m and ln x never change
/// between iterations. Each customer then costs one log per evaluation.
/// </remarks>
internal sealed class GammaGammaLikelihood
{
    private readonly int[] _distinctX;
    private readonly int[] _xIndex;
    private readonly double[] _x;
    private readonly double[] _m;
    private readonly double[] _logM;
    private readonly double[] _logX;

    public GammaGammaLikelihood(ReadOnlySpan<int> frequency, ReadOnlySpan<double> monetaryValue)
    {
        var count = 0;
        for (var i = 0; i < frequency.Length; i++)
        {
            if (frequency[i] > 0 && monetaryValue[i] > 0)
            {
                count++;
            }
        }

        _xIndex = new int[count];
        _x = new double[count];
        _m = new double[count];
        _logM = new double[count];
        _logX = new double[count];
        var distinct = new Dictionary<int, int>();
        var j = 0;
        for (var i = 0; i < frequency.Length; i++)
        {
            if (frequency[i] > 0 && monetaryValue[i] > 0)
            {
                if (!distinct.TryGetValue(frequency[i], out var slot))
                {
                    slot = distinct.Count;
                    distinct.Add(frequency[i], slot);
                }

                _xIndex[j] = slot;
                _x[j] = frequency[i];
                _m[j] = monetaryValue[i];
                _logM[j] = Math.Log(monetaryValue[i]);
                _logX[j] = Math.Log(frequency[i]);
                j++;
            }
        }

        _distinctX = new int[distinct.Count];
        foreach (var (x, slot) in distinct)
        {
            _distinctX[slot] = x;
        }
    }

    public int Customers => _x.Length;

    public double LogLikelihood(GammaGammaParameters parameters)
        => -NegativeMeanLogLikelihood(
            [Math.Log(parameters.P), Math.Log(parameters.Q), Math.Log(parameters.Gamma)],
            new double[3]) * Customers;

    public double NegativeMeanLogLikelihood(double[] logParameters, double[] gradient)
    {
        var p = Math.Exp(logParameters[0]);
        var q = Math.Exp(logParameters[1]);
        var gamma = Math.Exp(logParameters[2]);
        var logGamma = Math.Log(gamma);
        var logGammaQ = SpecialFunctions.GammaLn(q);
        var digammaQ = SpecialFunctions.DiGamma(q);

        // Per distinct x: ln Gamma(px + q) - ln Gamma(px) and the matching digammas.
        var logGammaRatio = new double[_distinctX.Length];
        var digammaPxq = new double[_distinctX.Length];
        var digammaPx = new double[_distinctX.Length];
        for (var k = 0; k < _distinctX.Length; k++)
        {
            var px = p * _distinctX[k];
            logGammaRatio[k] = SpecialFunctions.GammaLn(px + q) - SpecialFunctions.GammaLn(px);
            digammaPxq[k] = SpecialFunctions.DiGamma(px + q);
            digammaPx[k] = SpecialFunctions.DiGamma(px);
        }

        double sum = 0, dp = 0, dq = 0, dGamma = 0;
        for (var i = 0; i < _x.Length; i++)
        {
            var k = _xIndex[i];
            var x = _x[i];
            var px = p * x;
            var spendPlusGamma = x * _m[i] + gamma;
            var logSpendPlusGamma = Math.Log(spendPlusGamma);
            sum += logGammaRatio[k] - logGammaQ + q * logGamma + (px - 1) * _logM[i] + px * _logX[i]
                - (px + q) * logSpendPlusGamma;
            dp += x * (digammaPxq[k] - digammaPx[k] + _logM[i] + _logX[i] - logSpendPlusGamma);
            dq += digammaPxq[k] - digammaQ + logGamma - logSpendPlusGamma;
            dGamma += q / gamma - (px + q) / spendPlusGamma;
        }

        var n = (double)_x.Length;
        gradient[0] = -dp * p / n;
        gradient[1] = -dq * q / n;
        gradient[2] = -dGamma * gamma / n;
        return -sum / n;
    }
}
