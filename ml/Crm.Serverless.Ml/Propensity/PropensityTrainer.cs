using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// Trains a churn or purchase model as of a date on time-split cut-offs (see <see cref="CutoffSchedule"/>):
/// FastTree on the older training cut-offs, a calibrator on the newest one, metrics and the three baselines on the holdout.
/// </summary>
public sealed class PropensityTrainer
{
    private readonly PropensityOptions _options;

    public PropensityTrainer(PropensityOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    public PropensityModel Train(PurchaseTable table, DateTime asOfUtc, PropensityTarget target)
    {
        var split = TimeSplit.Create(table, asOfUtc, target, _options);
        return Fit(split);
    }

    /// <summary>Fits on an already split data set; tests use it to tamper with labels.</summary>
    internal PropensityModel Fit(TimeSplit split)
    {
        ArgumentNullException.ThrowIfNull(split);
        var stopwatch = Stopwatch.StartNew();
        var context = new MLContext(_options.Seed);
        var layout = split.Trees.Layout;
        var trainView = ModelRows.ToDataView(context, split.Trees.Features, split.Trees.Labels, split.Trees.Count, layout.Count);
        var trees = context.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            LabelColumnName = ModelRows.LabelColumn,
            FeatureColumnName = ModelRows.FeatureColumn,
            NumberOfTrees = _options.NumberOfTrees,
            NumberOfLeaves = _options.NumberOfLeaves,
            MinimumExampleCountPerLeaf = _options.MinimumExampleCountPerLeaf,
            LearningRate = _options.LearningRate,
            Seed = _options.Seed,
        }).Fit(trainView);

        var stages = new List<ITransformer> { trees };
        if (split.Calibration is { } calibrationRows)
        {
            // The trees' own sigmoid comes from the rows they were fitted to and runs over-confident; a later cut-off they never saw corrects it,
            // and being the newest it also absorbs some of the drift towards the holdout.
            var scored = trees.Transform(ModelRows.ToDataView(context, calibrationRows.Features, calibrationRows.Labels, calibrationRows.Count, layout.Count));
            stages.Add(split.CalibrationMethod == ProbabilityCalibration.Isotonic
                ? context.BinaryClassification.Calibrators.Isotonic(ModelRows.LabelColumn, ModelRows.ScoreColumn).Fit(scored)
                : context.BinaryClassification.Calibrators.Platt(ModelRows.LabelColumn, ModelRows.ScoreColumn).Fit(scored));
        }

        stages.Add(context.Transforms
            .CalculateFeatureContribution(trees, layout.Count, layout.Count, normalize: false)
            .Fit(trainView));
        var chain = new TransformerChain<ITransformer>([.. stages]);
        stopwatch.Stop();

        var baselineRows = split.Calibration is null ? split.Trees : LabelledRows.Concat(split.Trees, split.Calibration);
        var recency = LogisticBaseline.Fit(baselineRows, CustomerFeatures.RecencyDays);
        var frequency = LogisticBaseline.Fit(baselineRows, CustomerFeatures.PurchaseDays);
        var holdout = split.Holdout;
        var probabilities = PropensityScorer.Predict(chain, holdout.Features, holdout.Count, layout.Count);
        var evaluation = HoldoutEvaluation.Compute(holdout, split.Target, split.Schedule.HoldoutCutoffUtc, probabilities, recency, frequency);

        var metadata = new PropensityModelMetadata
        {
            Target = split.Target,
            Trainer = "FastTreeBinary",
            TreeSettings = new TreeSettings(
                _options.NumberOfTrees, _options.NumberOfLeaves, _options.MinimumExampleCountPerLeaf, _options.LearningRate, _options.Seed),
            Calibration = split.Calibration is null ? ProbabilityCalibration.BuiltIn : split.CalibrationMethod,
            AsOfUtc = split.Schedule.AsOfUtc,
            LabelWindowDays = split.Schedule.LabelWindowDays,
            HoldoutCutoffUtc = split.Schedule.HoldoutCutoffUtc,
            TrainingCutoffs = split.Trees.Cutoffs,
            CalibrationCutoff = split.Calibration?.Cutoffs.Single(),
            TrainingWindowStartUtc = split.Trees.Cutoffs[0].CutoffUtc,
            TrainingWindowEndUtc = baselineRows.Cutoffs[^1].CutoffUtc.AddDays(split.Schedule.LabelWindowDays),
            TrainingRows = split.Trees.Count,
            CalibrationRows = split.Calibration?.Count ?? 0,
            HoldoutRows = holdout.Count,
            FeatureNames = layout.Names,
            Holdout = evaluation,
            RecencyBaseline = recency,
            FrequencyBaseline = frequency,
            TrainingSeconds = stopwatch.Elapsed.TotalSeconds,
        };

        return new PropensityModel(chain, trainView.Schema, metadata);
    }
}
