namespace Crm.Serverless.Core.Domain;

public enum IngestStatus
{
    /// <summary>New and stored.</summary>
    Accepted,

    /// <summary>Already stored with the same content: a retry, counted once.</summary>
    Duplicate,

    /// <summary>The id is already stored with different content; nothing was overwritten.</summary>
    Conflict,

    /// <summary>Invalid; nothing was stored.</summary>
    Rejected,
}

public sealed record FieldError(string Field, string Message);

/// <summary>What happened to one item of a request, message or file.</summary>
public sealed record ItemOutcome(int Index, IngestStatus Status, string? CustomerId, string? Id, IReadOnlyList<FieldError> Errors)
{
    public static ItemOutcome Rejected(int index, string? customerId, string? id, IReadOnlyList<FieldError> errors)
        => new(index, IngestStatus.Rejected, customerId, id, errors);
}
