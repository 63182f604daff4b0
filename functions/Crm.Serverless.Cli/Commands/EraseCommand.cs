using System.CommandLine;
using Crm.Serverless.Core.Privacy;
using Crm.Serverless.Core.Validation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Crm.Serverless.Cli.Commands;

/// <summary><c>crm erase CUSTOMER_ID</c>: GDPR erasure through the same service as <c>POST /api/privacy/erase</c>.</summary>
internal static class EraseCommand
{
    public static Command Create()
    {
        var customerId = new Argument<string>("CUSTOMER_ID") { Description = "The customer whose rows are deleted from every customer-keyed table" };
        var command = new Command("erase", "Erase every row holding one customer (GDPR Art. 17); safe to run again.") { customerId };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var id = parse.GetValue(customerId)!;
            if (KeyRules.CheckId(id, isCustomerId: true) is { } problem)
            {
                await Console.Error.WriteLineAsync($"CUSTOMER_ID {problem}.");
                return CrmCommandLine.UsageError;
            }

            using var host = CliHost.Build();
            await host.StartAsync(cancellationToken);
            var report = await host.Services.GetRequiredService<CustomerPrivacyService>().EraseAsync(id, cancellationToken);
            Console.WriteLine($"Erase: {report.Total:N0} rows deleted" + (report.Total == 0 ? " (nothing was held)" : ""));
            foreach (var (table, rows) in report.DeletedRows)
            {
                Console.WriteLine($"  {table}: {rows:N0}");
            }

            await host.StopAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}
