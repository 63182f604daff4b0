using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;

namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// Writes and reads a model as two artefacts: the ML.NET zip and its metadata JSON. The caller decides where they live
/// (versioned blobs in the app, files in the CLI); nothing here knows about storage.
/// </summary>
public static class PropensityModelSerializer
{
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    public static void SaveModel(PropensityModel model, Stream modelStream)
    {
        ArgumentNullException.ThrowIfNull(model);
        new MLContext().Model.Save(model.Transformer, model.InputSchema, modelStream);
    }

    public static Task SaveMetadataAsync(PropensityModelMetadata metadata, Stream metadataStream, CancellationToken cancellationToken = default)
        => JsonSerializer.SerializeAsync(metadataStream, metadata, JsonOptions, cancellationToken);

    public static async Task<PropensityModelMetadata> LoadMetadataAsync(Stream metadataStream, CancellationToken cancellationToken = default)
        => await JsonSerializer.DeserializeAsync<PropensityModelMetadata>(metadataStream, JsonOptions, cancellationToken)
            ?? throw new InvalidDataException("Model metadata is empty.");

    /// <summary>
    /// Loads a model zip with its metadata; refuses a model whose feature layout this build does not compute. Whether
    /// the layout is the one a run's data gives (with or without interactions) is the scorer's check.
    /// </summary>
    public static PropensityModel Load(Stream modelStream, PropensityModelMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(modelStream);
        ArgumentNullException.ThrowIfNull(metadata);
        if (FeatureLayout.Named(metadata.FeatureNames) is null)
        {
            throw new InvalidDataException(
                $"The model expects features [{string.Join(", ", metadata.FeatureNames)}] but this build computes [{string.Join(", ", FeatureLayout.Purchases.Names)}] (and the interaction features when a shop sends interactions); retrain it.");
        }

        var context = new MLContext(metadata.TreeSettings.Seed);

        // The zip names FastTree's loaders; registering the assembly makes them resolvable however the host loads us.
        context.ComponentCatalog.RegisterAssembly(typeof(FastTreeBinaryModelParameters).Assembly);
        var transformer = context.Model.Load(modelStream, out var inputSchema);
        return new PropensityModel(transformer, inputSchema, metadata);
    }
}
