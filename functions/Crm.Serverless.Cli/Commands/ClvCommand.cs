using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Serverless.Cli.Commands;

/// <summary>A transactions file read into histories: all in one currency (<see cref="Currency"/>), invalid rows counted.</summary>
/// <param name="MostCommonRejection">The reason most invalid rows share, with their count; null when every row was valid.</param>
internal sealed record HistoryFile(List<CustomerHistory> Histories, int Rows, int Rejected, string? Currency, string? MostCommonRejection);

/// <summary><c>crm clv fit --transactions FILE --calibration-end DATE [--time-unit weeks|days] [--json]</c>: no storage involved.</summary>
internal static class ClvCommand
{
    /// <summary>What BG/NBD and Gamma-Gamma need at the least: the fit has nothing to estimate heterogeneity from below this.</summary>
    private const int MinimumRepeatCustomers = 2;

    public static Command Create()
    {
        var transactions = new Option<FileInfo>("--transactions") { Description = "Transactions CSV", Required = true };
        var calibrationEnd = DateOption.Create("--calibration-end", "Last day of the calibration period, YYYY-MM-DD", required: true);
        var timeUnit = new Option<ClvTimeUnit>("--time-unit") { Description = "weeks or days", DefaultValueFactory = _ => ClvTimeUnit.Weeks };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var decimalComma = CsvOption.CreateDecimalComma();
        var fit = new Command("fit", "Fit BG/NBD and Gamma-Gamma on the history up to the calibration end.") { transactions, calibrationEnd, timeUnit, json, decimalComma };
        fit.SetAction(async (parse, cancellationToken) =>
        {
            using var host = CliHost.Build(new Dictionary<string, string?> { ["Clv:TimeUnit"] = parse.GetValue(timeUnit).ToString() });
            var reader = host.Services.GetRequiredService<CsvItemReader>();
            var clv = host.Services.GetRequiredService<ClvService>();
            var file = ReadHistories(reader, parse.GetValue(transactions)!, CsvOption.Read(parse, decimalComma));
            if (file.MostCommonRejection is { } reason)
            {
                await Console.Error.WriteLineAsync($"Skipped {file.Rejected:N0} of {file.Rows:N0} rows as invalid; most often {reason}");
            }

            var endDate = parse.GetValue(calibrationEnd)!.Value;
            var summaries = clv.Summarise(file.Histories, endDate.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
            if (summaries.RepeatCustomers < MinimumRepeatCustomers)
            {
                await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Too little to fit: by {endDate:yyyy-MM-dd} the file has {summaries.Count:N0} customers, {summaries.RepeatCustomers:N0} of them with a repeat purchase on a later day; " +
                    $"the models need at least {MinimumRepeatCustomers}. Choose a later --calibration-end, or a file with more history."));
                return 1;
            }

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
                    timeUnit = model.TimeUnit.ToString().ToLowerInvariant(), calibrationEnd = endDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    rejectedRows = file.Rejected, currency = file.Currency,
                }));
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"BG/NBD: r = {p.R:0.000}, alpha = {p.Alpha:0.000}, a = {p.A:0.000}, b = {p.B:0.000}, log-likelihood = {model.Purchases.LogLikelihood:0.0}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Gamma-Gamma: p = {s.P:0.00}, q = {s.Q:0.00}, gamma = {s.Gamma:0.00} ({model.RepeatCustomers:N0} repeat customers of {model.Customers:N0}; amounts in {file.Currency})"));
            }

            return 0;
        });
        return new Command("clv", "Customer lifetime value models.") { fit };
    }

    /// <summary>
    /// The shop export read with the same validation as an import; invalid rows are counted, not used. Amounts must
    /// be in one currency, as in a store: a row in another currency counts only with its amountInReportingCurrency.
    /// </summary>
    /// <exception cref="CsvFormatException">The file cannot be read, has no usable row, or mixes currencies.</exception>
    /// <remarks>
    /// Exports are usually in time order, so a customer's rows are spread over the whole file and looking each
    /// row's customer up in one big dictionary is a cache miss per row, on one thread. So the read only appends:
    /// ids are copied into one character buffer and rows kept as structs (nothing for the garbage collector to
    /// trace), and the grouping runs afterwards on every core, customers split by the hash of their id.
    /// </remarks>
    public static HistoryFile ReadHistories(CsvItemReader reader, FileInfo file, CsvReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(file);

        // Sized from the file once (rows of ~50 bytes): growing them would copy each several times.
        var expectedRows = (int)Math.Clamp(file.Exists ? file.Length / 48 : 0, 1024, 100_000_000);
        var rows = new List<Row>(expectedRows);
        var ids = new IdArena(expectedRows * 20);
        var currencies = new Dictionary<string, int>(StringComparer.Ordinal);
        var total = 0;
        var rejected = 0;
        var reasons = new Dictionary<string, int>(StringComparer.Ordinal);
        using (var text = CsvItemReader.OpenFile(file.FullName))
        {
            foreach (var item in reader.ReadTransactions(text, options))
            {
                total++;
                if (item.Value is not { } t)
                {
                    rejected++;
                    var first = item.Errors[0];
                    CollectionsMarshal.GetValueRefOrAddDefault(reasons, $"{first.Field}: {first.Message}", out _)++;
                    continue;
                }

                if (t.AmountInReportingCurrency is null)
                {
                    CollectionsMarshal.GetValueRefOrAddDefault(currencies, t.Currency, out _)++;
                }

                var customer = ids.Add(t.CustomerId);
                rows.Add(new Row(customer, string.GetHashCode(ids[customer]), t.Timestamp.UtcDateTime, (double)(t.AmountInReportingCurrency ?? t.Amount), ids.Add(t.TransactionId)));
            }
        }

        if (rows.Count == 0)
        {
            throw new CsvFormatException(total == 0
                ? $"{file.FullName} has a header but no rows."
                : $"No usable rows: all {total:N0} rows of {file.FullName} are invalid; most often ({reasons.Values.Max():N0} rows) " +
                  $"{reasons.MaxBy(r => r.Value).Key}. `crm import` lists every row with its reason.");
        }

        if (currencies.Count > 1)
        {
            throw new CsvFormatException(
                $"The file mixes currencies ({string.Join(", ", currencies.OrderByDescending(c => c.Value).Select(c => $"{c.Value:N0} rows in {c.Key}"))}); " +
                "lifetime values need one. Convert the amounts (an amountInReportingCurrency column is used where present) or fit each currency's rows on their own.");
        }

        // Each part groups the customers whose hash falls in it; first appearance in the file orders the result.
        var parts = Environment.ProcessorCount;
        var grouped = new List<(int FirstRow, CustomerHistory History)>[parts];
        Parallel.For(0, parts, part => grouped[part] = Group(rows, ids, part, parts));
        var histories = grouped.SelectMany(part => part).OrderBy(h => h.FirstRow).Select(h => h.History).ToList();
        var mostCommon = reasons.Count == 0 ? null : reasons.MaxBy(r => r.Value) is var (reason, count) ? $"{count:N0} rows: {reason}" : null;
        return new HistoryFile(histories, total, rejected, currencies.Keys.FirstOrDefault(), mostCommon);
    }

    private readonly record struct Row(IdRef Customer, int CustomerHash, DateTime TimestampUtc, double Amount, IdRef TransactionId);

    /// <summary>
    /// One history per customer of this part, each purchase once (a repeated row is one purchase, as in storage),
    /// with the row its customer first appears on.
    /// </summary>
    private static List<(int FirstRow, CustomerHistory History)> Group(List<Row> rows, IdArena ids, int part, int parts)
    {
        var all = CollectionsMarshal.AsSpan(rows);
        var customers = new Dictionary<string, int>(StringComparer.Ordinal);
        var lookup = customers.GetAlternateLookup<ReadOnlySpan<char>>();
        var firstRows = new List<int>();
        var mine = new List<(int Customer, int Row)>(all.Length / parts + 1024);
        for (var i = 0; i < all.Length; i++)
        {
            if ((uint)all[i].CustomerHash % (uint)parts != part)
            {
                continue;
            }

            ref var index = ref CollectionsMarshal.GetValueRefOrAddDefault(lookup, ids[all[i].Customer], out var known);
            if (!known)
            {
                index = firstRows.Count;
                firstRows.Add(i);
            }

            mine.Add((index, i));
        }

        // Counting sort by customer keeps each customer's rows in file order.
        var starts = new int[firstRows.Count + 1];
        foreach (var (customer, _) in mine)
        {
            starts[customer + 1]++;
        }

        for (var c = 0; c < firstRows.Count; c++)
        {
            starts[c + 1] += starts[c];
        }

        var next = starts[..^1];
        var order = new int[mine.Count];
        foreach (var (customer, row) in mine)
        {
            order[next[customer]++] = row;
        }

        var histories = new List<(int, CustomerHistory)>(firstRows.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var purchases = new List<Purchase>();
        var kept = new List<IdRef>();
        for (var c = 0; c < firstRows.Count; c++)
        {
            purchases.Clear();
            kept.Clear();
            seen.Clear();
            var rowsOfCustomer = order.AsSpan(starts[c], starts[c + 1] - starts[c]);
            foreach (var i in rowsOfCustomer)
            {
                // Most customers have a handful of rows: comparing with the kept ids beats hashing them.
                var id = all[i].TransactionId;
                var repeated = false;
                if (rowsOfCustomer.Length <= 16)
                {
                    foreach (var other in kept)
                    {
                        repeated |= ids[other].SequenceEqual(ids[id]);
                    }
                }
                else
                {
                    repeated = !seen.Add(ids[id].ToString());
                }

                if (!repeated)
                {
                    kept.Add(id);
                    purchases.Add(new Purchase(all[i].TimestampUtc, all[i].Amount));
                }
            }

            histories.Add((firstRows[c], new CustomerHistory(ids[all[firstRows[c]].Customer].ToString(), purchases)));
        }

        return histories;
    }

    private readonly record struct IdRef(int Start, int Length);

    /// <summary>Ids copied into one growing buffer: kept for the whole read, but as one object, not millions.</summary>
    private sealed class IdArena(int capacity)
    {
        private char[] _chars = new char[capacity];
        private int _length;

        public IdRef Add(string id)
        {
            if (_length + id.Length > _chars.Length)
            {
                Array.Resize(ref _chars, Math.Max(_chars.Length * 2, _length + id.Length));
            }

            id.CopyTo(_chars.AsSpan(_length));
            _length += id.Length;
            return new IdRef(_length - id.Length, id.Length);
        }

        public ReadOnlySpan<char> this[IdRef id] => _chars.AsSpan(id.Start, id.Length);
    }
}
