using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Validation;

/// <summary>
/// What makes an interaction acceptable, whichever door it came in by (HTTP, queue, CSV). Messages never quote
/// the subject: it is free text, and problem details and rejected records would carry it further.
/// </summary>
public sealed class InteractionRules(IOptions<IngestOptions> options, TimeProvider clock)
{
    public const int MaxSubjectLength = 200;
    public const int MinRating = 1;
    public const int MaxRating = 5;
    private static readonly DateTimeOffset Earliest = new(1900, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public void Validate(Interaction interaction, string prefix, List<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(interaction);
        ArgumentNullException.ThrowIfNull(errors);
        TransactionRules.CheckId(interaction.InteractionId, "interactionId", isCustomerId: false, prefix, errors);
        TransactionRules.CheckId(interaction.CustomerId, "customerId", isCustomerId: true, prefix, errors);

        var latest = clock.GetUtcNow() + options.Value.FutureTolerance;
        if (interaction.Timestamp < Earliest || interaction.Timestamp > latest)
        {
            errors.Add(new FieldError(prefix + "timestamp", "must lie between 1900-01-01 and now (future interactions are refused)"));
        }

        if (interaction.ResolvedAt is { } resolvedAt)
        {
            if (resolvedAt < interaction.Timestamp)
            {
                errors.Add(new FieldError(prefix + "resolvedAt", "must not lie before timestamp"));
            }
            else if (resolvedAt > latest)
            {
                errors.Add(new FieldError(prefix + "resolvedAt", "must not lie in the future"));
            }
        }

        if (interaction.Rating is { } rating && rating is < MinRating or > MaxRating)
        {
            errors.Add(new FieldError(prefix + "rating", $"must be a whole number from {MinRating} to {MaxRating}"));
        }

        if (interaction.CampaignId is { } campaignId)
        {
            TransactionRules.CheckId(campaignId, "campaignId", isCustomerId: false, prefix, errors);
        }

        if (interaction.Subject is { } subject)
        {
            if (subject.Length > MaxSubjectLength)
            {
                errors.Add(new FieldError(prefix + "subject", $"must be at most {MaxSubjectLength} characters"));
            }
            else if (subject.Any(char.IsControl))
            {
                errors.Add(new FieldError(prefix + "subject", "must be one line of text without control characters"));
            }
        }
    }
}
