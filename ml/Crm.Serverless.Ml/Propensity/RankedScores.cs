namespace Crm.Serverless.Ml.Propensity;

/// <summary>One run of tied scores in a ranking: rows [Start, End) and how many of them are positive.</summary>
internal readonly record struct TieGroup(int Start, int End, int Positives, int Negatives);

/// <summary>
/// Holdout scores ranked by descending score with tied scores kept together: the one ranking behind AUC, average
/// precision, top-decile lift (<see cref="BinaryMetrics"/>) and the ROC curve (<see cref="HoldoutCurves"/>), so the
/// drawn curve and the reported AUC cannot disagree about ties.
/// </summary>
internal sealed class RankedScores
{
    private readonly float[] _keys;
    private readonly bool[] _labels;

    public RankedScores(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        if (scores.Length != labels.Length)
        {
            throw new ArgumentException("Need one probability per label.", nameof(scores));
        }

        var n = scores.Length;
        var order = new int[n];
        _keys = new float[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
            _keys[i] = -scores[i];
            Positives += labels[i] ? 1 : 0;
        }

        // Descending score; ties are handled as groups so the ordering inside a tie cannot matter.
        Array.Sort(_keys, order);
        _labels = new bool[n];
        for (var i = 0; i < n; i++)
        {
            _labels[i] = labels[order[i]];
        }
    }

    public int Count => _keys.Length;

    public int Positives { get; }

    public int Negatives => Count - Positives;

    public IEnumerable<TieGroup> Ties()
    {
        for (var start = 0; start < _keys.Length;)
        {
            var end = start;
            int positives = 0, negatives = 0;
            while (end < _keys.Length && _keys[end] == _keys[start])
            {
                if (_labels[end])
                {
                    positives++;
                }
                else
                {
                    negatives++;
                }

                end++;
            }

            yield return new TieGroup(start, end, positives, negatives);
            start = end;
        }
    }
}

/// <summary>
/// Ten equal-width probability bins with each bin's count, summed probability and positives: the one binning behind
/// the expected calibration error (<see cref="BinaryMetrics"/>) and the reliability diagram (<see cref="HoldoutCurves"/>).
/// </summary>
internal sealed class CalibrationBins
{
    public const int Count = 10;

    public CalibrationBins(ReadOnlySpan<float> probabilities, ReadOnlySpan<bool> labels)
    {
        for (var i = 0; i < probabilities.Length; i++)
        {
            var bin = Math.Clamp((int)(probabilities[i] * Count), 0, Count - 1);
            Rows[bin]++;
            Predicted[bin] += probabilities[i];
            Positives[bin] += labels[i] ? 1 : 0;
        }
    }

    public int[] Rows { get; } = new int[Count];

    public double[] Predicted { get; } = new double[Count];

    public double[] Positives { get; } = new double[Count];
}
