using Microsoft.ML;
using Microsoft.ML.Data;

namespace Crm.Serverless.Ml.Propensity;

/// <summary>The ML.NET row shapes and the one place that turns flat feature arrays into an <see cref="IDataView"/>.</summary>
internal static class ModelRows
{
    public const string FeatureColumn = "Features";
    public const string LabelColumn = "Label";
    public const string ScoreColumn = "Score";

    public static IDataView ToDataView(MLContext context, float[] features, bool[]? labels, int count)
        => context.Data.LoadFromEnumerable(Enumerate(features, labels, count));

    // Streams rows so a million customers never exist twice as objects; ML.NET copies each vector as it reads it.
    private static IEnumerable<Input> Enumerate(float[] features, bool[]? labels, int count)
    {
        for (var row = 0; row < count; row++)
        {
            yield return new Input
            {
                Features = features.AsSpan(row * CustomerFeatures.Count, CustomerFeatures.Count).ToArray(),
                Label = labels is not null && labels[row],
            };
        }
    }

    public sealed class Input
    {
        [VectorType(CustomerFeatures.Count)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    public sealed class Scored
    {
        public float Probability { get; set; }
    }

    public sealed class Explained
    {
        public float Probability { get; set; }

        [VectorType(CustomerFeatures.Count)]
        public float[] FeatureContributions { get; set; } = [];
    }
}
