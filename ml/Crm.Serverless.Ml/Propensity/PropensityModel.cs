using Microsoft.ML;

namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// A trained churn or purchase model: the ML.NET transformer chain (trees, calibrator, feature contributions) and its
/// metadata. Immutable and safe to share: scoring goes through <see cref="ITransformer.Transform"/>, which is.
/// </summary>
public sealed class PropensityModel
{
    internal PropensityModel(ITransformer transformer, DataViewSchema inputSchema, PropensityModelMetadata metadata)
    {
        Transformer = transformer;
        InputSchema = inputSchema;
        Metadata = metadata;
    }

    public PropensityModelMetadata Metadata { get; }

    public PropensityTarget Target => Metadata.Target;

    /// <summary>Whether the model was trained on this feature layout, so it may score rows of it.</summary>
    public bool Fits(FeatureLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return Metadata.FeatureNames.SequenceEqual(layout.Names);
    }

    internal ITransformer Transformer { get; }

    internal DataViewSchema InputSchema { get; }
}
