using System.CommandLine;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Ml.Propensity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Cli.Commands;

/// <summary>
/// <c>crm evaluate --transactions FILE [--interactions FILE] --as-of DATE [--as-of DATE ...]</c>: trains both models as of
/// each date on a CSV (no storage) and prints the holdout tables beside the three baselines (all customers and the
/// active ones), the gate's verdicts and the segment check, so anyone can judge the models on a shop. With interactions,
/// every model is trained twice, with and without the interaction features, and both rows are printed.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var transactions = new Option<FileInfo>("--transactions") { Description = "Transactions CSV", Required = true };
        var asOf = new Option<DateOnly[]>("--as-of")
        {
            Description = "As-of dates, YYYY-MM-DD; repeat the option for several",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var interactions = new Option<FileInfo?>("--interactions") { Description = "Interactions CSV (" + GenerateCommand.InteractionColumns + "): also train with the interaction features" };
        var name = new Option<string?>("--name") { Description = "Data set name for the table (default: the file name)" };
        var command = new Command("evaluate", "Train and evaluate both models at several as-of dates on a CSV; prints a markdown table.") { transactions, interactions, asOf, name };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var file = parse.GetValue(transactions)!;
            using var host = CliHost.Build();
            var histories = ClvCommand.ReadHistories(host.Services.GetRequiredService<CsvItemReader>(), file).Histories;
            var dates = parse.GetValue(asOf)!.Select(d => d.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc));
            var options = host.Services.GetRequiredService<IOptions<PropensityOptions>>().Value;
            var contacts = parse.GetValue(interactions) is { } interactionFile ? InteractionCsv.Read(interactionFile) : null;
            if (contacts is { Rejected: > 0 })
            {
                await Console.Error.WriteLineAsync($"Skipped {contacts.Rejected:N0} of {contacts.Rows:N0} interaction rows as invalid.");
            }

            var report = await Task.Run(
                () => PropensityEvaluationReport.Produce(parse.GetValue(name) ?? file.Name, histories, dates, options, contacts?.ByCustomer), cancellationToken);
            Console.Write(PropensityEvaluationReport.ToMarkdown(report));
            return 0;
        });
        return command;
    }
}
