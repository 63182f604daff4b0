namespace Crm.Serverless.Ml.Data;

/// <summary>One purchase as the models see it: when (UTC) and how much, in the shop's reporting currency.</summary>
public readonly record struct Purchase(DateTime TimestampUtc, double Amount);

/// <summary>
/// One customer's purchase history, oldest purchase first. This is the only input the models take, so the
/// nightly job (reading Table Storage), the CLI (reading CSV) and the tests feed them the same way.
/// </summary>
public sealed class CustomerHistory
{
    public CustomerHistory(string customerId, IEnumerable<Purchase> purchases)
    {
        ArgumentException.ThrowIfNullOrEmpty(customerId);
        ArgumentNullException.ThrowIfNull(purchases);
        CustomerId = customerId;
        var sorted = purchases.ToArray();

        // Exports usually list a customer's purchases in time order already; sort only when they are not.
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i].TimestampUtc < sorted[i - 1].TimestampUtc)
            {
                Array.Sort(sorted, static (x, y) => x.TimestampUtc.CompareTo(y.TimestampUtc));
                break;
            }
        }

        Purchases = sorted;
    }

    public string CustomerId { get; }

    /// <summary>Purchases sorted by time, oldest first.</summary>
    public IReadOnlyList<Purchase> Purchases { get; }
}
