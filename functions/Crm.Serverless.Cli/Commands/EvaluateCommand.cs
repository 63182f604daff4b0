using System.CommandLine;
using Crm.Serverless.Core.Import;
using System.Text.Json;
using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Ml.Recommendations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Cli.Commands;

/// <summary>
/// <c>crm evaluate --transactions FILE [--interactions FILE] --as-of DATE [--as-of DATE ...]</c>: trains both models as of
/// each date on a CSV (no storage) and prints the holdout tables beside the three baselines (all customers and the
/// active ones), the gate's verdicts and the segment check, so anyone can judge the models on a shop. With interactions,
/// every model is trained twice, with and without the interaction features, and both rows are printed.
/// <c>crm evaluate --recommendations --transactions FILE --lines FILE [--holdout-days 30] [--json]</c>: the next best
/// products learned from all but the last days, scored against what customers bought in them, beside two baselines.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var transactions = new Option<FileInfo>("--transactions") { Description = "Transactions CSV", Required = true };
        var asOf = DateOption.CreateMany("--as-of", "As-of dates, YYYY-MM-DD; repeat the option for several");
        var interactions = new Option<FileInfo?>("--interactions") { Description = "Interactions CSV (" + GenerateCommand.InteractionColumns + "): also train with the interaction features" };
        var name = new Option<string?>("--name") { Description = "Data set name for the table (default: the file name)" };
        var recommendations = new Option<bool>("--recommendations") { Description = "Evaluate the next best products instead of the churn and purchase models (needs --lines)" };
        var lines = new Option<FileInfo?>("--lines") { Description = "Line items CSV (transactionId,customerId,sku,quantity,unitPrice[,category,unitCost]); with --recommendations" };
        var holdoutDays = new Option<int>("--holdout-days") { Description = "With --recommendations: days at the end held out to score against", DefaultValueFactory = _ => 30 };
        holdoutDays.Within(days => days is >= 1 and <= 3650, "--holdout-days must be a whole number from 1 to 3,650.");
        var json = new Option<bool>("--json") { Description = "With --recommendations: print the figures as JSON" };
        var command = new Command("evaluate", "Train and evaluate both models at several as-of dates on a CSV, or the recommendations (--recommendations); prints a markdown table.")
        {
            transactions, interactions, asOf, name, recommendations, lines, holdoutDays, json,
        };
        command.Validators.Add(result =>
        {
            var recommend = result.GetValue(recommendations);
            if (recommend && result.GetValue(lines) is null)
            {
                result.AddError("--recommendations needs --lines FILE.");
            }

            // The option's presence, not its value: a value that did not parse cannot be read here, and is reported already.
            if (!recommend && result.GetResult(asOf) is null)
            {
                result.AddError("Option '--as-of' is required (or --recommendations).");
            }
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            var file = parse.GetValue(transactions)!;
            using var host = CliHost.Build();
            if (parse.GetValue(recommendations))
            {
                return await RecommendationsAsync(host.Services, file, parse.GetValue(lines)!, parse.GetValue(holdoutDays), parse.GetValue(name) ?? file.Name, parse.GetValue(json), cancellationToken);
            }

            var histories = ClvCommand.ReadHistories(host.Services.GetRequiredService<CsvItemReader>(), file).Histories;
            var dates = parse.GetValue(asOf)!.Select(d => d.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc));
            var options = host.Services.GetRequiredService<IOptions<PropensityOptions>>().Value;
            var contacts = parse.GetValue(interactions) is { } interactionFile ? host.Services.GetRequiredService<InteractionCsvReader>().ReadEvents(interactionFile.FullName) : null;
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

    private static async Task<int> RecommendationsAsync(IServiceProvider services, FileInfo transactions, FileInfo lines, int holdoutDays, string name, bool json, CancellationToken cancellationToken)
    {
        var file = new BasketFileReader(services.GetRequiredService<CsvItemReader>()).Read(transactions, lines);
        if (file.Baskets.Count == 0)
        {
            await Console.Error.WriteLineAsync($"No purchase in {transactions.Name} has lines in {lines.Name}: nothing to recommend from.");
            return 1;
        }

        if (file.RejectedLines + file.OrphanLines > 0)
        {
            await Console.Error.WriteLineAsync($"Skipped {file.RejectedLines:N0} unreadable line rows and {file.OrphanLines:N0} whose purchase is not in {transactions.Name}, of {file.LineRows:N0}.");
        }

        var options = services.GetRequiredService<IOptions<RecommenderOptions>>().Value;
        var report = await Task.Run(() => RecommendationEvaluation.Evaluate(name, file.Baskets, holdoutDays, options), cancellationToken);
        if (report.Customers == 0)
        {
            await Console.Error.WriteLineAsync($"No customer bought both before and in the last {holdoutDays} days: choose fewer --holdout-days or a file with more history.");
            return 1;
        }

        Console.Write(json ? JsonSerializer.Serialize(report, Json) + Environment.NewLine : RecommendationEvaluation.ToMarkdown(report));
        return 0;
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
