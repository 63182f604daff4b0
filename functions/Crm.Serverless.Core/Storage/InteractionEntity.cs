using Azure;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// One stored interaction, row key <c>{customerId}|{interactionId}</c> in the Interactions table.
/// <see cref="PayloadHash"/> covers the fields that never change (<see cref="Storage.PayloadHash.Of(Interaction)"/>);
/// <see cref="ResolvedAt"/> and <see cref="Rating"/> are fill-once and compared on their own.
/// </summary>
public sealed class InteractionEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string CustomerId { get; set; } = "";
    public string InteractionId { get; set; } = "";
    public DateTimeOffset OccurredAt { get; set; }
    public string Channel { get; set; } = "";
    public string Direction { get; set; } = "";
    public string Type { get; set; } = "";
    public int? Rating { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }
    public string? CampaignId { get; set; }

    /// <summary>Free text, personal data: erased and exported with the customer, never logged or reported.</summary>
    public string? Subject { get; set; }

    public string PayloadHash { get; set; } = "";
    public string Source { get; set; } = "";
    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>When a later send filled in <see cref="ResolvedAt"/> or <see cref="Rating"/>; null if never.</summary>
    public DateTimeOffset? UpdatedAt { get; set; }

    public static InteractionEntity Of(Interaction interaction, string source, DateTimeOffset receivedAt)
    {
        ArgumentNullException.ThrowIfNull(interaction);
        return new InteractionEntity
        {
            PartitionKey = CrmKeys.PartitionOf(interaction.CustomerId),
            RowKey = CrmKeys.TransactionRow(interaction.CustomerId, interaction.InteractionId),
            CustomerId = interaction.CustomerId,
            InteractionId = interaction.InteractionId,
            OccurredAt = interaction.Timestamp.ToUniversalTime(),
            Channel = InteractionNames.Name(interaction.Channel),
            Direction = InteractionNames.Direction(interaction.Inbound),
            Type = InteractionNames.Name(interaction.Type),
            Rating = interaction.Rating,
            ResolvedAt = interaction.ResolvedAt?.ToUniversalTime(),
            CampaignId = interaction.CampaignId,
            Subject = interaction.Subject,
            PayloadHash = Storage.PayloadHash.Of(interaction),
            Source = source,
            ReceivedAt = receivedAt,
        };
    }

    /// <summary>Rows are written only from valid interactions, so the names always parse.</summary>
    public Interaction ToInteraction()
    {
        _ = InteractionNames.TryParseChannel(Channel, out var channel);
        _ = InteractionNames.TryParseType(Type, out var type);
        return new Interaction(InteractionId, CustomerId, OccurredAt, channel, Direction == InteractionNames.Inbound, type, Rating, ResolvedAt, CampaignId, Subject);
    }

    public static InteractionEntity FromRow(TableEntity row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return new InteractionEntity
        {
            PartitionKey = row.PartitionKey,
            RowKey = row.RowKey,
            Timestamp = row.Timestamp,
            ETag = row.ETag,
            CustomerId = row.GetString(nameof(CustomerId)) ?? CrmKeys.CustomerIdOf(row.RowKey),
            InteractionId = row.GetString(nameof(InteractionId)) ?? "",
            OccurredAt = row.GetDateTimeOffset(nameof(OccurredAt)) ?? default,
            Channel = row.GetString(nameof(Channel)) ?? "",
            Direction = row.GetString(nameof(Direction)) ?? "",
            Type = row.GetString(nameof(Type)) ?? "",
            Rating = row.GetInt32(nameof(Rating)),
            ResolvedAt = row.GetDateTimeOffset(nameof(ResolvedAt)),
            CampaignId = row.GetString(nameof(CampaignId)),
            Subject = row.GetString(nameof(Subject)),
            PayloadHash = row.GetString(nameof(PayloadHash)) ?? "",
            Source = row.GetString(nameof(Source)) ?? "",
            ReceivedAt = row.GetDateTimeOffset(nameof(ReceivedAt)) ?? default,
            UpdatedAt = row.GetDateTimeOffset(nameof(UpdatedAt)),
        };
    }

    public InteractionEntity Copy() => (InteractionEntity)MemberwiseClone();
}
