using Microsoft.ML;
using Microsoft.ML.Data;

namespace Crm.Serverless.Ml.Propensity;

/// <summary>The ML.NET row shapes and the one place that turns flat feature arrays into an <see cref="IDataView"/>.</summary>
internal static class ModelRows
{
    public const string FeatureColumn = "Features";
    public const string LabelColumn = "Label";
    public const string ScoreColumn = "Score";
    public const string ContributionsColumn = "FeatureContributions";

    /// <param name="width">Values per row: the feature layout's count, known only at run time (with or without interactions).</param>
    public static IDataView ToDataView(MLContext context, float[] features, bool[]? labels, int count, int width)
        => context.Data.LoadFromEnumerable(Enumerate(features, labels, count, width), InputSchema(width));

    /// <summary>The explained rows' shape for a model of <paramref name="width"/> features.</summary>
    public static SchemaDefinition ExplainedSchema(int width)
    {
        var schema = SchemaDefinition.Create(typeof(Explained), SchemaDefinition.Direction.Write);
        schema[nameof(Explained.FeatureContributions)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        return schema;
    }

    private static SchemaDefinition InputSchema(int width)
    {
        // The vector's size is part of the schema the trees were trained on; a fixed [VectorType] cannot serve both layouts.
        var schema = SchemaDefinition.Create(typeof(Input), SchemaDefinition.Direction.Read);
        schema[nameof(Input.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        return schema;
    }

    // Streams rows so a million customers never exist twice as objects; ML.NET copies each vector as it reads it.
    private static IEnumerable<Input> Enumerate(float[] features, bool[]? labels, int count, int width)
    {
        for (var row = 0; row < count; row++)
        {
            yield return new Input
            {
                Features = features.AsSpan(row * width, width).ToArray(),
                Label = labels is not null && labels[row],
            };
        }
    }

    public sealed class Input
    {
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

        public float[] FeatureContributions { get; set; } = [];
    }
}
