using System.Text.Json;
using Crm.Serverless.Core.Domain;

namespace Crm.Serverless.Core.Validation;

/// <summary>
/// Turns JSON (one object or an array of objects) into interactions, with the body limits and error shapes of
/// <see cref="IngestJsonParser"/>; what a valid interaction is lives in <see cref="InteractionRules"/>.
/// </summary>
public sealed class InteractionJsonParser(IngestJsonParser bodies, InteractionRules rules)
{
    public ParsedBody<Interaction> Parse(ReadOnlyMemory<byte> json) => bodies.Parse(json, Read);

    public ParsedBody<Interaction> Parse(JsonElement element) => bodies.Parse(element, Read);

    private ParsedItem<Interaction> Read(JsonElement element, int index, string prefix)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return new ParsedItem<Interaction>(index, null, null, null, [new FieldError(prefix.TrimEnd('.').Length == 0 ? "body" : prefix.TrimEnd('.'), "must be a JSON object")]);
        }

        // Text that cannot be decoded would throw wherever it is read; refuse the item before reading any of it.
        if (JsonText.FindInvalid(element, prefix) is { } invalid)
        {
            return new ParsedItem<Interaction>(index, null, null, null, [invalid]);
        }

        var errors = new List<FieldError>();
        var reader = new JsonFieldReader(element, prefix, errors);
        var interactionId = reader.RequiredString("interactionId");
        var customerId = reader.RequiredString("customerId");
        var timestamp = reader.Timestamp("timestamp", required: true);
        var channel = Required<Ml.Data.InteractionChannel>(reader, errors, "channel", InteractionNames.TryParseChannel, InteractionNames.ChannelExpected);
        var inbound = Required<bool>(reader, errors, "direction", InteractionNames.TryParseDirection, InteractionNames.DirectionExpected);
        var type = Required<Ml.Data.InteractionType>(reader, errors, "type", InteractionNames.TryParseType, InteractionNames.TypeExpected);
        var rating = reader.OptionalInt("rating");
        var resolvedAt = reader.Timestamp("resolvedAt", required: false);
        var campaignId = reader.OptionalString("campaignId");
        var subject = reader.OptionalString("subject");

        // Fields that failed to parse get stand-ins so the rules still check every other field.
        var interaction = new Interaction(
            interactionId ?? "placeholder",
            customerId ?? "placeholder",
            timestamp ?? new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero),
            channel,
            inbound,
            type,
            rating,
            resolvedAt,
            campaignId,
            subject);
        var ruleErrors = new List<FieldError>();
        rules.Validate(interaction, prefix, ruleErrors);
        var failed = errors.Select(e => e.Field).ToHashSet(StringComparer.Ordinal);
        errors.AddRange(ruleErrors.Where(e => !failed.Contains(e.Field) && !(e.Field == prefix + "resolvedAt" && failed.Contains(prefix + "timestamp"))));
        return new ParsedItem<Interaction>(index, errors.Count == 0 ? interaction : null, customerId, interactionId, errors);
    }

    private delegate bool NameParser<T>(ReadOnlySpan<char> text, out T value);

    private static T Required<T>(JsonFieldReader reader, List<FieldError> errors, string field, NameParser<T> parse, string expected)
    {
        if (reader.RequiredString(field) is not { } text)
        {
            return default!;
        }

        if (!parse(text, out var value))
        {
            errors.Add(new FieldError(reader.Field(field), expected));
        }

        return value;
    }
}
