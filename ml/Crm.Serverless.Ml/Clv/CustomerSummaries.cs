namespace Crm.Serverless.Ml.Clv;

/// <summary>
/// The calibration summaries of a customer base, column-wise so fitting and scoring 200k customers stays in
/// tight loops over arrays. Build with <see cref="CustomerSummaryBuilder"/>.
/// </summary>
public sealed class CustomerSummaries
{
    private readonly string[] _customerIds;
    private readonly int[] _frequency;
    private readonly double[] _recency;
    private readonly double[] _age;
    private readonly double[] _monetaryValue;
    private readonly double[] _totalSpend;

    internal CustomerSummaries(
        DateTime calibrationEndUtc,
        ClvTimeUnit timeUnit,
        string[] customerIds,
        int[] frequency,
        double[] recency,
        double[] age,
        double[] monetaryValue,
        double[] totalSpend)
    {
        CalibrationEndUtc = calibrationEndUtc;
        TimeUnit = timeUnit;
        _customerIds = customerIds;
        _frequency = frequency;
        _recency = recency;
        _age = age;
        _monetaryValue = monetaryValue;
        _totalSpend = totalSpend;
    }

    /// <summary>
    /// Summaries from stored columns, e.g. every shard's summaries of a nightly run concatenated: the fits need the
    /// arrays, not the histories. All arrays have one entry per customer.
    /// </summary>
    public static CustomerSummaries FromColumns(
        DateTime calibrationEndUtc, ClvTimeUnit timeUnit, string[] customerIds, int[] frequency, double[] recency, double[] age, double[] monetaryValue, double[] totalSpend)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        var count = customerIds.Length;
        if (frequency.Length != count || recency.Length != count || age.Length != count || monetaryValue.Length != count || totalSpend.Length != count)
        {
            throw new ArgumentException("Every column needs one entry per customer.", nameof(frequency));
        }

        return new CustomerSummaries(calibrationEndUtc, timeUnit, customerIds, frequency, recency, age, monetaryValue, totalSpend);
    }

    /// <summary>Last calibration day (UTC midnight); purchases on that day are included.</summary>
    public DateTime CalibrationEndUtc { get; }

    public ClvTimeUnit TimeUnit { get; }

    public int Count => _customerIds.Length;

    public ReadOnlySpan<string> CustomerIds => _customerIds;

    /// <summary>x per customer.</summary>
    public ReadOnlySpan<int> Frequency => _frequency;

    /// <summary>t_x per customer.</summary>
    public ReadOnlySpan<double> Recency => _recency;

    /// <summary>T per customer.</summary>
    public ReadOnlySpan<double> Age => _age;

    public ReadOnlySpan<double> MonetaryValue => _monetaryValue;

    public ReadOnlySpan<double> TotalSpend => _totalSpend;

    public CustomerSummary this[int index] => new(
        _customerIds[index],
        _frequency[index],
        _recency[index],
        _age[index],
        _monetaryValue[index],
        _totalSpend[index]);

    /// <summary>Customers with at least one repeat purchase day (the Gamma-Gamma population).</summary>
    public int RepeatCustomers
    {
        get
        {
            var count = 0;
            foreach (var x in _frequency)
            {
                if (x > 0)
                {
                    count++;
                }
            }

            return count;
        }
    }
}
