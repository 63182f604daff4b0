using System.CommandLine;
using System.Globalization;
using System.Text;
using Crm.Serverless.Ml.Simulation;

namespace Crm.Serverless.Cli.Commands;

/// <summary>
/// <c>crm generate --customers N --seed S --out FILE [--contacts FILE]</c>: a seeded synthetic shop whose customers
/// buy and drop out like real ones (BG/NBD + Gamma-Gamma with heterogeneity), in the CSV format of the CDNOW file.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var customers = new Option<int>("--customers") { Description = "Number of customers", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed (same seed, same shop)", DefaultValueFactory = _ => 42 };
        var output = new Option<FileInfo>("--out") { Description = "Transactions CSV to write", Required = true };
        var contacts = new Option<FileInfo?>("--contacts") { Description = "Also write a contacts CSV (synthetic, no real personal data)" };
        var weeks = new Option<double>("--weeks") { Description = "Weeks of history from 1997-01-01", DefaultValueFactory = _ => 78 };
        var shape = new Option<double>("--rate-shape") { Description = "BG/NBD r: higher means more frequent buyers (CDNOW 0.243)", DefaultValueFactory = _ => 0.243 };
        var command = new Command("generate", "Write a seeded synthetic shop as CSV.") { customers, seed, output, contacts, weeks, shape };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new ShopSimulationOptions
            {
                Customers = parse.GetValue(customers),
                Seed = parse.GetValue(seed),
                ObservationWeeks = parse.GetValue(weeks),
                R = parse.GetValue(shape),
            };
            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            var (rows, people) = await WriteAsync(options, parse.GetValue(output)!, parse.GetValue(contacts), cancellationToken);
            Console.WriteLine($"Generated {people:N0} customers and {rows:N0} transactions in {stopwatch.Elapsed.TotalSeconds:0.0} s: {parse.GetValue(output)!.FullName}");
            return 0;
        });
        return command;
    }

    public static async Task<(long Transactions, int Customers)> WriteAsync(ShopSimulationOptions options, FileInfo output, FileInfo? contacts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        long rows = 0;
        var people = 0;
        await using var transactions = new StreamWriter(output.FullName, false, new UTF8Encoding(false), 1 << 20);
        await using var contactWriter = contacts is null ? null : new StreamWriter(contacts.FullName, false, new UTF8Encoding(false), 1 << 20);
        await transactions.WriteLineAsync("transactionId,customerId,timestamp,amount,currency,quantity");
        if (contactWriter is not null)
        {
            await contactWriter.WriteLineAsync("customerId,email,firstName,lastName,country,createdAt,marketingConsent");
        }

        var line = new StringBuilder(96);
        string[] countries = ["US", "GB", "DE", "FR", "NL", "SE", "ES", "IT", "CA", "AU"];
        foreach (var customer in ShopSimulator.Simulate(options))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var id = customer.History.CustomerId;
            var purchases = customer.History.Purchases;
            for (var i = 0; i < purchases.Count; i++)
            {
                line.Clear();
                line.Append(id).Append('-').Append(i.ToString(CultureInfo.InvariantCulture)).Append(',')
                    .Append(id).Append(',')
                    .Append(purchases[i].TimestampUtc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append(',')
                    .Append(purchases[i].Amount.ToString("0.00", CultureInfo.InvariantCulture)).Append(",USD,1");
                await transactions.WriteLineAsync(line, cancellationToken);
            }

            rows += purchases.Count;
            if (contactWriter is not null)
            {
                var created = purchases[0].TimestampUtc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                await contactWriter.WriteLineAsync($"{id},{id.ToLowerInvariant()}@example.invalid,Customer,{id},{countries[people % countries.Length]},{created},{(people % 3 != 0 ? "true" : "false")}");
            }

            people++;
        }

        return (rows, people);
    }
}
