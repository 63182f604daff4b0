namespace Crm.Serverless.Core.Scoring;

/// <summary>
/// Publishes a completed run's report. Core completes runs but does not render reports: the renderer (and its chart
/// package) lives in Crm.Serverless.Reporting, which implements this and is registered by <c>AddCrmReporting()</c>,
/// so the ingest path does not carry it.
/// </summary>
public interface IRunReportPublisher
{
    /// <summary>Builds the run's report from what is stored now and saves it over any earlier one.</summary>
    Task PublishAsync(RunRecord run, CancellationToken cancellationToken);

    /// <summary>Publishes the report unless it is already stored: safe to call again after a failure or a redelivery.</summary>
    Task EnsurePublishedAsync(RunRecord run, CancellationToken cancellationToken);
}
