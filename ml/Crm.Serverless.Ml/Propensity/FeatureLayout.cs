namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// The columns of a feature row: the purchase features always, then the interaction features only when the shop sends
/// interactions. A shop without them gets a layout without those columns rather than zeros that would read as "no
/// complaints"; a model stores its layout's names and scores only data of the same layout.
/// </summary>
public sealed class FeatureLayout
{
    private FeatureLayout(IReadOnlyList<FeatureDefinition> definitions, bool hasInteractions)
    {
        Definitions = definitions;
        Names = [.. definitions.Select(d => d.Name)];
        HasInteractions = hasInteractions;
    }

    public static FeatureLayout Purchases { get; } = new(CustomerFeatures.Definitions, hasInteractions: false);

    public static FeatureLayout WithInteractions { get; } = new([.. CustomerFeatures.Definitions, .. InteractionFeatures.Definitions], hasInteractions: true);

    public IReadOnlyList<FeatureDefinition> Definitions { get; }

    public IReadOnlyList<string> Names { get; }

    public int Count => Definitions.Count;

    public bool HasInteractions { get; }

    /// <summary>The layout with exactly these feature names, or null when this build computes no such layout.</summary>
    public static FeatureLayout? Named(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        return names.SequenceEqual(Purchases.Names) ? Purchases
            : names.SequenceEqual(WithInteractions.Names) ? WithInteractions
            : null;
    }
}
