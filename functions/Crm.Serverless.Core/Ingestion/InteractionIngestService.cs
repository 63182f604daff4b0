using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;

namespace Crm.Serverless.Core.Ingestion;

/// <summary>
/// Stores parsed interactions, whichever door they came in by, and says per item what happened, through the
/// pipeline purchases and contacts take (<see cref="PartitionedIngest{TWrite}"/>) with the interaction writer. An
/// interaction needs no stored customer: a shop may send service contacts first.
/// </summary>
public sealed class InteractionIngestService(InteractionWriter writer)
{
    public const string ConflictMessage = "is already stored with different content (only a missing resolvedAt or rating can be added later)";

    private readonly PartitionedIngest<Interaction> _pipeline = new(static interaction => interaction.CustomerId, writer.WriteAsync);

    public Task<IReadOnlyList<ItemOutcome>> IngestAsync(ParsedBody<Interaction> body, string source, CancellationToken cancellationToken)
        => _pipeline.IngestAsync(body, static interaction => interaction, source, "interactionId", ConflictMessage, cancellationToken);

    /// <summary>Writes one window of a bulk import, each partition read whole; returns one status per item, in input order.</summary>
    public Task<WriteOutcome[]> WriteImportWindowAsync(IReadOnlyList<Interaction> window, int parallelism, IProgress<int>? progress, CancellationToken cancellationToken)
        => _pipeline.WriteAsync(window, StateLoad.WholePartition, IngestSource.Import, parallelism, progress, cancellationToken);
}
