using Crm.Serverless.Ml.Data;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Ml.Clv;

/// <summary>
/// The CLV pipeline with the configured <see cref="ClvOptions"/> applied: summarise, fit, score. Segment the
/// result with <see cref="Segmentation.CustomerSegmenter"/>. The nightly function and `crm clv fit` call this; the static
/// builders and fitters stay usable without DI.
/// </summary>
public sealed class ClvService(IOptions<ClvOptions> options)
{
    private readonly ClvOptions _options = options.Value;

    public ClvTimeUnit TimeUnit => _options.TimeUnit;

    public int HorizonMonths => _options.HorizonMonths;

    /// <param name="calibrationEndUtc">Last day whose purchases count.</param>
    public CustomerSummaries Summarise(IEnumerable<CustomerHistory> histories, DateTime calibrationEndUtc)
        => CustomerSummaryBuilder.Build(histories, calibrationEndUtc, _options.TimeUnit);

    public ClvModel Fit(CustomerSummaries summaries)
    {
        ArgumentNullException.ThrowIfNull(summaries);

        // alpha is a rate per time unit: a model fitted in days and read as weeks would be silently 7x off.
        if (summaries.TimeUnit != _options.TimeUnit)
        {
            throw new ArgumentException(
                $"Summaries are in {summaries.TimeUnit}; the configured unit is {_options.TimeUnit}.",
                nameof(summaries));
        }

        return ClvModel.Fit(summaries);
    }

    public ClvScores Score(ClvModel model, CustomerSummaries summaries)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Score(summaries, _options.HorizonMonths, _options.MonthlyDiscountRate);
    }
}
