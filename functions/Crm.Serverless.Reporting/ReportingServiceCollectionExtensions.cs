using Crm.Serverless.Core.Scoring;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Crm.Serverless.Reporting;

public static class ReportingServiceCollectionExtensions
{
    /// <summary>
    /// Registers the run report (builder, store) and makes it the publisher that completing a run calls. Call after
    /// <c>AddCrmCore()</c>; the Functions app, the CLI and the tests all call both.
    /// </summary>
    public static IHostApplicationBuilder AddCrmReporting(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddSingleton<RunReportBuilder>();
        services.AddSingleton<RunReportStore>();
        services.AddSingleton<IRunReportPublisher>(sp => sp.GetRequiredService<RunReportStore>());
        return builder;
    }
}
