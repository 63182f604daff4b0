namespace Crm.Serverless.Ml.Clv;

/// <summary>
/// One customer's calibration-period summary in the BG/NBD notation. Times are in the summaries' time unit.
/// </summary>
/// <param name="Frequency">x: purchase days after the first purchase day.</param>
/// <param name="Recency">t_x: time from the first to the last purchase day.</param>
/// <param name="Age">T: time from the first purchase day to the calibration end.</param>
/// <param name="MonetaryValue">Mean amount of the repeat purchase days; 0 when x = 0.</param>
/// <param name="TotalSpend">All calibration purchases, first day included (the M of RFM).</param>
public readonly record struct CustomerSummary(
    string CustomerId,
    int Frequency,
    double Recency,
    double Age,
    double MonetaryValue,
    double TotalSpend);
