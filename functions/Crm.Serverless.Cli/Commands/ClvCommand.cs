using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Serverless.Cli.Commands;

/// <summary><c>crm clv fit --transactions FILE --calibration-end DATE [--time-unit weeks|days] [--json]</c>: no storage involved.</summary>
internal static class ClvCommand
{
    public static Command Create()
    {
        var transactions = new Option<FileInfo>("--transactions") { Description = "Transactions CSV", Required = true };
        var calibrationEnd = DateOption.Create("--calibration-end", "Last day of the calibration period, YYYY-MM-DD", required: true);
        var timeUnit = new Option<ClvTimeUnit>("--time-unit") { Description = "weeks or days", DefaultValueFactory = _ => ClvTimeUnit.Weeks };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var fit = new Command("fit", "Fit BG/NBD and Gamma-Gamma on the history up to the calibration end.") { transactions, calibrationEnd, timeUnit, json };
        fit.SetAction(async (parse, cancellationToken) =>
        {
            var file = parse.GetValue(transactions)!;
            if (!file.Exists)
            {
                await Console.Error.WriteLineAsync($"No such file: {file.FullName}");
                return 1;
            }

            using var host = CliHost.Build(new Dictionary<string, string?> { ["Clv:TimeUnit"] = parse.GetValue(timeUnit).ToString() });
            var reader = host.Services.GetRequiredService<CsvItemReader>();
            var clv = host.Services.GetRequiredService<ClvService>();
            var histories = ReadHistories(reader, file, out var rejected);
            var end = parse.GetValue(calibrationEnd)!.Value.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
            var summaries = clv.Summarise(histories, end);
            var model = clv.Fit(summaries);
            var p = model.Purchases.Parameters;
            var s = model.Spend.Parameters;
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    r = p.R, alpha = p.Alpha, a = p.A, b = p.B, bgnbdLogLikelihood = model.Purchases.LogLikelihood,
                    p = s.P, q = s.Q, gamma = s.Gamma, gammaGammaLogLikelihood = model.Spend.LogLikelihood,
                    customers = model.Customers, repeatCustomers = model.RepeatCustomers,
                    timeUnit = model.TimeUnit.ToString().ToLowerInvariant(), calibrationEnd = parse.GetValue(calibrationEnd)!.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    rejectedRows = rejected,
                }));
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"BG/NBD: r = {p.R:0.000}, alpha = {p.Alpha:0.000}, a = {p.A:0.000}, b = {p.B:0.000}, log-likelihood = {model.Purchases.LogLikelihood:0.0}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Gamma-Gamma: p = {s.P:0.00}, q = {s.Q:0.00}, gamma = {s.Gamma:0.00} ({model.RepeatCustomers:N0} repeat customers of {model.Customers:N0})"));
            }

            return 0;
        });
        return new Command("clv", "Customer lifetime value models.") { fit };
    }

    /// <summary>The shop export read with the same validation as an import; invalid rows are counted, not used.</summary>
    public static List<CustomerHistory> ReadHistories(CsvItemReader reader, FileInfo file, out int rejected)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(file);
        var purchases = new Dictionary<string, List<(string TransactionId, Purchase Purchase)>>(StringComparer.Ordinal);
        rejected = 0;
        using var text = file.OpenText();
        foreach (var item in reader.ReadTransactions(text))
        {
            if (item.Value is not { } t)
            {
                rejected++;
                continue;
            }

            ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(purchases, t.CustomerId, out _);
            (list ??= []).Add((t.TransactionId, new Purchase(t.Timestamp.UtcDateTime, (double)t.Amount)));
        }

        // A repeated row is one purchase, as in storage; one set reused for every customer keeps this allocation-free.
        var histories = new List<CustomerHistory>(purchases.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var distinct = new List<Purchase>();
        foreach (var (customerId, list) in purchases)
        {
            seen.Clear();
            distinct.Clear();
            foreach (var (transactionId, purchase) in list)
            {
                if (seen.Add(transactionId))
                {
                    distinct.Add(purchase);
                }
            }

            histories.Add(new CustomerHistory(customerId, distinct));
        }

        return histories;
    }
}
