namespace Crm.Serverless.Core.Scoring;

/// <summary>The shop's history cannot support a run yet (too few customers or repeat buyers): a state, not a bug.</summary>
public sealed class InsufficientDataException(string message) : Exception(message);
