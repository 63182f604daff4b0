using Microsoft.ML;

namespace Crm.Serverless.Ml.Propensity;

/// <summary>One customer's calibrated probability of the model's positive class (churn, or purchase).</summary>
public sealed record CustomerPropensity(string CustomerId, float Probability);

/// <summary>One factor behind a score: the feature, its value for the customer, and how far it moved the score.</summary>
/// <remarks>Contributions are in the trees' raw score units; positive pushes towards the positive class (churn).</remarks>
public sealed record FactorContribution(string Feature, string ReadableName, float Value, float Contribution);

public sealed record CustomerExplanation(string CustomerId, float Probability, IReadOnlyList<FactorContribution> TopFactors);

/// <summary>
/// Scores every known customer as of a date in one batch through the model's <see cref="IDataView"/> pipeline, never
/// a model load or prediction engine per customer. Stateless and safe for concurrent callers.
/// </summary>
public static class PropensityScorer
{
    /// <exception cref="InvalidDataException">The model was trained on another feature layout than the table gives.</exception>
    public static IReadOnlyList<CustomerPropensity> Score(PropensityModel model, PurchaseTable table, DateTime asOfUtc)
    {
        ArgumentNullException.ThrowIfNull(model);
        EnsureLayout(model, table);
        var rows = FeatureBuilder.Build(table, asOfUtc, model.Metadata.LabelWindowDays);
        var probabilities = Predict(model.Transformer, rows.Values, rows.Count, rows.Layout.Count);
        var scores = new CustomerPropensity[rows.Count];
        for (var row = 0; row < rows.Count; row++)
        {
            scores[row] = new CustomerPropensity(table.CustomerId(rows.CustomerIndex(row)), probabilities[row]);
        }

        return scores;
    }

    /// <summary>
    /// The BG/NBD model's probability of the target for every known customer, fitted on the purchases up to the date:
    /// the scores when no trained model has beaten it.
    /// </summary>
    public static IReadOnlyList<CustomerPropensity> ScoreBetaGeo(PurchaseTable table, DateTime asOfUtc, PropensityTarget target, int labelWindowDays)
    {
        var rows = FeatureBuilder.Build(table, asOfUtc, labelWindowDays);
        var scores = new CustomerPropensity[rows.Count];
        for (var row = 0; row < rows.Count; row++)
        {
            scores[row] = new CustomerPropensity(
                table.CustomerId(rows.CustomerIndex(row)),
                HoldoutEvaluation.BetaGeoProbability(rows.Value(row, CustomerFeatures.BetaGeoNoPurchaseProbability), target));
        }

        return scores;
    }

    /// <summary>
    /// Scores and explains the given customers (all known customers when <paramref name="customerIds"/> is null):
    /// the <paramref name="topFactors"/> features with the largest absolute contribution to each score.
    /// </summary>
    public static IReadOnlyList<CustomerExplanation> Explain(
        PropensityModel model, PurchaseTable table, DateTime asOfUtc, IReadOnlyCollection<string>? customerIds = null, int topFactors = 3)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(topFactors, 1);
        EnsureLayout(model, table);
        var rows = FeatureBuilder.Build(table, asOfUtc, model.Metadata.LabelWindowDays);
        var wanted = customerIds is null ? null : new HashSet<string>(customerIds, StringComparer.Ordinal);
        var selected = new List<int>();
        for (var row = 0; row < rows.Count; row++)
        {
            if (wanted is null || wanted.Contains(table.CustomerId(rows.CustomerIndex(row))))
            {
                selected.Add(row);
            }
        }

        var width = rows.Layout.Count;
        var features = new float[selected.Count * width];
        for (var i = 0; i < selected.Count; i++)
        {
            rows.Row(selected[i]).CopyTo(features.AsSpan(i * width));
        }

        var context = new MLContext();
        var view = model.Transformer.Transform(ModelRows.ToDataView(context, features, null, selected.Count, width));
        var explanations = new List<CustomerExplanation>(selected.Count);
        var at = 0;
        foreach (var scored in context.Data.CreateEnumerable<ModelRows.Explained>(view, reuseRowObject: true, schemaDefinition: ModelRows.ExplainedSchema(width)))
        {
            var row = selected[at];
            explanations.Add(new CustomerExplanation(
                table.CustomerId(rows.CustomerIndex(row)),
                scored.Probability,
                TopFactors(rows.Layout, scored.FeatureContributions, rows.Row(row), topFactors)));
            at++;
        }

        return explanations;
    }

    /// <summary>
    /// Metrics of <paramref name="model"/> on a holdout cut-off, e.g. the current model on a candidate's holdout so the
    /// promotion gate compares both on the same rows.
    /// </summary>
    public static BinaryMetrics Evaluate(PropensityModel model, PurchaseTable table, DateTime holdoutCutoffUtc, int labelWindowDays)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Evaluate(model, LabelledRows.Build(table, [holdoutCutoffUtc], model.Target, labelWindowDays));
    }

    /// <summary>Metrics of <paramref name="model"/> on already built holdout rows (several models, one build).</summary>
    public static BinaryMetrics Evaluate(PropensityModel model, LabelledRows holdout)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(holdout);
        if (!model.Fits(holdout.Layout))
        {
            throw LayoutMismatch(model, holdout.Layout);
        }

        return BinaryMetrics.Compute(Predict(model.Transformer, holdout.Features, holdout.Count, holdout.Layout.Count), holdout.Labels);
    }

    internal static float[] Predict(ITransformer transformer, float[] features, int count, int width)
    {
        // A context per call: scoring needs no randomness, and nothing mutable is shared between concurrent callers.
        var context = new MLContext();
        var view = transformer.Transform(ModelRows.ToDataView(context, features, null, count, width));
        var probabilities = new float[count];
        var at = 0;
        foreach (var scored in context.Data.CreateEnumerable<ModelRows.Scored>(view, reuseRowObject: true))
        {
            probabilities[at++] = scored.Probability;
        }

        return probabilities;
    }

    /// <summary>
    /// A model trained with interaction features must not score a shop (or run) without them, nor the other way round:
    /// the columns would mean different things.
    /// </summary>
    private static void EnsureLayout(PropensityModel model, PurchaseTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (!model.Fits(table.Layout))
        {
            throw LayoutMismatch(model, table.Layout);
        }
    }

    private static InvalidDataException LayoutMismatch(PropensityModel model, FeatureLayout layout)
        => new($"The model was trained on features [{string.Join(", ", model.Metadata.FeatureNames)}] but the data gives [{string.Join(", ", layout.Names)}]; retrain it.");

    private static FactorContribution[] TopFactors(FeatureLayout layout, float[] contributions, ReadOnlySpan<float> values, int count)
    {
        var order = Enumerable.Range(0, contributions.Length).ToArray();
        Array.Sort(order, (a, b) => Math.Abs(contributions[b]).CompareTo(Math.Abs(contributions[a])));
        var top = new FactorContribution[Math.Min(count, order.Length)];
        for (var i = 0; i < top.Length; i++)
        {
            var feature = layout.Definitions[order[i]];
            top[i] = new FactorContribution(feature.Name, feature.ReadableName, values[order[i]], contributions[order[i]]);
        }

        return top;
    }
}
