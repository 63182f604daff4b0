using Crm.Serverless.Core.Domain;

namespace Crm.Serverless.Core.Import;

/// <summary>One row of a lines file: a line item of the purchase <see cref="TransactionId"/> of <see cref="CustomerId"/>.</summary>
public sealed record LineRow(string TransactionId, string CustomerId, LineItem Item);
