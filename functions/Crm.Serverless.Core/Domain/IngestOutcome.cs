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

    /// <summary>A contact that changed at least one field of the stored one (it was newer).</summary>
    Updated,

    /// <summary>A contact older than what is stored for every field it changes: nothing was changed.</summary>
    Stale,
}

public sealed record FieldError(string Field, string Message);

/// <summary>What happened to one item of a request, message or file.</summary>
public sealed record ItemOutcome(int Index, IngestStatus Status, string? CustomerId, string? Id, IReadOnlyList<FieldError> Errors)
{
    public static ItemOutcome Rejected(int index, string? customerId, string? id, IReadOnlyList<FieldError> errors)
        => new(index, IngestStatus.Rejected, customerId, id, errors);

    /// <summary>A refund or cancel whose purchase is not stored (yet): on the queue the message is retried for it.</summary>
    public bool AwaitsPurchase { get; init; }
}

/// <summary>What storage made of one valid item; <see cref="Error"/> says why when it was refused there.</summary>
public sealed record WriteOutcome(IngestStatus Status, FieldError? Error = null, bool AwaitsPurchase = false)
{
    public static readonly WriteOutcome Accepted = new(IngestStatus.Accepted);
    public static readonly WriteOutcome Duplicate = new(IngestStatus.Duplicate);
    public static readonly WriteOutcome Conflict = new(IngestStatus.Conflict);
    public static readonly WriteOutcome Updated = new(IngestStatus.Updated);
    public static readonly WriteOutcome Stale = new(IngestStatus.Stale);
}
