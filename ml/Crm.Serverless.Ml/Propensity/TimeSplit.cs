namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// The labelled rows of one training run, split by time: the calibrator learns from the newest training cut-off, the
/// trees from the older cut-offs whose label windows end by it (no label day is shared), and the holdout is the
/// cut-off whose label window ends at the as-of date.
/// </summary>
internal sealed record TimeSplit(
    PropensityTarget Target,
    CutoffSchedule Schedule,
    LabelledRows Trees,
    LabelledRows? Calibration,
    ProbabilityCalibration CalibrationMethod,
    LabelledRows Holdout)
{
    public static TimeSplit Create(PurchaseTable table, DateTime asOfUtc, PropensityTarget target, PropensityOptions options)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);
        var schedule = CutoffSchedule.Create(asOfUtc, target, options);
        var earliest = table.EarliestPurchaseUtc
            ?? throw new InvalidOperationException("Cannot train a model without purchases.");
        var usable = schedule.TrainingCutoffsUtc.Where(c => c >= earliest).ToList();
        if (usable.Count == 0)
        {
            throw new InvalidOperationException(
                $"No training cut-off on or before {schedule.TrainingCutoffsUtc[0]:yyyy-MM-dd} has any customer; the history is too short for a {schedule.LabelWindowDays}-day label as of {asOfUtc:yyyy-MM-dd}.");
        }

        // The calibrator learns on the newest cut-off, and the trees only on cut-offs whose label window ends by then:
        // with a 90-day window and 30-day steps the two cut-offs before it would share 60 days of labels with it, and
        // a calibrator fitted on outcomes the trees already saw would inherit their over-confidence. With no such
        // cut-off left there is nothing to hold back, so the trees keep their built-in calibration.
        var window = schedule.LabelWindowDays;
        List<DateTime> treeCutoffs = usable.Count < 2 ? [] : usable.Where(c => c.AddDays(window) <= usable[0]).ToList();
        var holdBack = options.Calibration != ProbabilityCalibration.BuiltIn && treeCutoffs.Count > 0;
        var sample = SampleCustomers(table.CustomerCount, holdBack ? treeCutoffs.Count + 1 : usable.Count, options.MaximumTrainingRows, options.Seed);
        var trees = LabelledRows.Build(table, holdBack ? treeCutoffs : usable, target, window, sample);
        var calibration = holdBack ? LabelledRows.Build(table, [usable[0]], target, window, sample) : null;
        var holdout = LabelledRows.Build(table, [schedule.HoldoutCutoffUtc], target, window);
        return new TimeSplit(target, schedule, trees, calibration, options.Calibration, holdout);
    }

    /// <summary>
    /// Keeps a seeded random share of customers for the training cut-offs when all of them would exceed the row cap;
    /// sampling customers rather than rows keeps each sampled customer's whole trajectory. The holdout is never sampled.
    /// </summary>
    private static bool[]? SampleCustomers(int customers, int cutoffs, int maximumRows, int seed)
    {
        var share = (double)maximumRows / ((double)customers * cutoffs);
        if (share >= 1)
        {
            return null;
        }

        var random = new Random(seed);
        var mask = new bool[customers];
        for (var customer = 0; customer < customers; customer++)
        {
            mask[customer] = random.NextDouble() < share;
        }

        return mask;
    }

    /// <summary>The same split with every label permuted within its part: nothing is left to learn.</summary>
    public TimeSplit WithShuffledLabels(int seed)
    {
        var random = new Random(seed);
        return this with
        {
            Trees = Trees.WithShuffledLabels(random),
            Calibration = Calibration?.WithShuffledLabels(random),
            Holdout = Holdout.WithShuffledLabels(random),
        };
    }
}
