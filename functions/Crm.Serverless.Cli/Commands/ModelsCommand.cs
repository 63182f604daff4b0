using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Ml.Propensity;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Serverless.Cli.Commands;

/// <summary><c>crm models list [--json] | promote VERSION | rollback --target churn|purchase</c>.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON array, a version per element" };
        var list = new Command("list", "List registered model versions with their holdout metrics and training window end; * marks the promoted one.") { json };
        list.SetAction(async (parse, cancellationToken) => await WithRegistryAsync(async registry =>
        {
            var models = await registry.ListAsync(null, cancellationToken);
            if (parse.GetValue(json))
            {
                // trainingWindowEnd is the last day the model's training labels saw: a run as of an earlier day cannot use it.
                Console.WriteLine(JsonSerializer.Serialize(models.Select(m => new
                {
                    version = m.Version,
                    target = ModelRegistry.TargetName(m.Target),
                    registeredAt = m.RegisteredAt,
                    promoted = m.Promoted,
                    asOf = Day(m.Metadata.AsOfUtc),
                    trainingWindowStart = Day(m.Metadata.TrainingWindowStartUtc),
                    trainingWindowEnd = Day(m.Metadata.TrainingWindowEndUtc),
                    holdoutAuc = double.IsFinite(m.Metadata.Holdout.Model.Auc) ? m.Metadata.Holdout.Model.Auc : (double?)null,
                    decision = m.Decision.Reason,
                })));
                return 0;
            }

            Console.WriteLine($"  {"version",-40} {"trained to",10} {"AUC",6} {"ECE",6} {"rec.AUC",7} {"freq.AUC",8} {"BGNBD.AUC",9}  decision");
            foreach (var model in models)
            {
                var h = model.Metadata.Holdout;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{(model.Promoted ? "*" : " ")} {model.Version,-40} {Day(model.Metadata.TrainingWindowEndUtc),10} {h.Model.Auc,6:0.000} {h.Model.ExpectedCalibrationError,6:0.000} {h.RecencyBaseline.Auc,7:0.000} {h.FrequencyBaseline.Auc,8:0.000} {(h.BetaGeoBaseline is { } betaGeo ? betaGeo.Auc.ToString("0.000", CultureInfo.InvariantCulture) : "-"),9}  {model.Decision.Reason}"));
            }

            return 0;
        }, cancellationToken));

        var version = new Argument<string>("version") { Description = "A version as listed, e.g. churn-20261129T020000Z-ab12cd" };
        var promote = new Command("promote", "Make this version the one scoring uses (overrides the gate).") { version };
        promote.SetAction(async (parse, cancellationToken) => await WithRegistryAsync(async registry =>
        {
            try
            {
                await registry.PromoteAsync(parse.GetValue(version)!, cancellationToken);
            }
            catch (KeyNotFoundException exception)
            {
                await Console.Error.WriteLineAsync(exception.Message);
                return 1;
            }

            Console.WriteLine($"Promoted {parse.GetValue(version)}");
            return 0;
        }, cancellationToken));

        var target = new Option<PropensityTarget>("--target") { Description = "churn or purchase", Required = true };
        var rollback = new Command("rollback", "Go back to the version promoted before the current one.") { target };
        rollback.SetAction(async (parse, cancellationToken) => await WithRegistryAsync(async registry =>
        {
            var now = await registry.RollbackAsync(parse.GetValue(target), cancellationToken);
            Console.WriteLine(now is null ? "Nothing is promoted; nothing to roll back." : $"{parse.GetValue(target)} now uses {now}");
            return now is null ? 1 : 0;
        }, cancellationToken));

        return new Command("models", "The model registry.") { list, promote, rollback };
    }

    private static string Day(DateTime utc) => utc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static async Task<int> WithRegistryAsync(Func<ModelRegistry, Task<int>> action, CancellationToken cancellationToken)
    {
        using var host = CliHost.Build();
        await host.StartAsync(cancellationToken);
        return await action(host.Services.GetRequiredService<ModelRegistry>());
    }
}
