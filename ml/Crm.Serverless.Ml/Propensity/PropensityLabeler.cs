namespace Crm.Serverless.Ml.Propensity;

/// <summary>Labels feature rows by what their customers did in the window after the rows' cut-off.</summary>
public static class PropensityLabeler
{
    /// <summary>
    /// True for the positive class: for <see cref="PropensityTarget.Churn"/> no purchase in
    /// (cut-off, cut-off + window], for <see cref="PropensityTarget.Purchase"/> at least one.
    /// </summary>
    public static bool[] Label(PurchaseTable table, FeatureRows rows, PropensityTarget target, int windowDays)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(windowDays, 1);
        var cutoffTicks = rows.AsOfUtc.Ticks;
        var windowEndTicks = rows.AsOfUtc.AddDays(windowDays).Ticks;
        var labels = new bool[rows.Count];
        for (var row = 0; row < rows.Count; row++)
        {
            var customer = rows.CustomerIndex(row);
            var next = table.EndOnOrBefore(customer, cutoffTicks);
            var boughtInWindow = next < table.Offsets[customer + 1] && table.Ticks[next] <= windowEndTicks;
            labels[row] = target == PropensityTarget.Churn ? !boughtInWindow : boughtInWindow;
        }

        return labels;
    }
}
