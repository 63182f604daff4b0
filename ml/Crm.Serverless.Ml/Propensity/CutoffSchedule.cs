namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// Which cut-offs train, calibrate and test a model as of a date. The holdout cut-off is the as-of date minus the
/// label window, so its labels end exactly at the as-of date; every training cut-off's label window ends on or before
/// the holdout cut-off, so no training label sees the holdout window. Rows are split by time, never at random.
/// </summary>
public sealed record CutoffSchedule(
    DateTime AsOfUtc,
    int LabelWindowDays,
    DateTime HoldoutCutoffUtc,
    IReadOnlyList<DateTime> TrainingCutoffsUtc)
{
    /// <summary>Training cut-offs newest first: holdout − window, then back by <paramref name="stepDays"/> over <paramref name="spanDays"/>.</summary>
    public static CutoffSchedule Create(DateTime asOfUtc, int labelWindowDays, int stepDays, int spanDays)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(labelWindowDays, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stepDays, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(spanDays);
        var holdout = asOfUtc.AddDays(-labelWindowDays);
        var newest = holdout.AddDays(-labelWindowDays);
        var cutoffs = new List<DateTime>();
        for (var back = 0; back <= spanDays; back += stepDays)
        {
            cutoffs.Add(newest.AddDays(-back));
        }

        return new CutoffSchedule(asOfUtc, labelWindowDays, holdout, cutoffs);
    }

    public static CutoffSchedule Create(DateTime asOfUtc, PropensityTarget target, PropensityOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Create(asOfUtc, options.LabelWindowDays(target), options.CutoffStepDays, options.TrainingSpanDays);
    }
}
