using System.CommandLine;
using System.Globalization;
using System.Text;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Ml.Simulation;

namespace Crm.Serverless.Cli.Commands;

/// <summary>
/// <c>crm generate --customers N --seed S --out FILE [--contacts FILE] [--interactions FILE [--interaction-shape complaints|quiet]] [--currency EUR] [--lines FILE --catalogue default|wide]</c>:
/// a seeded synthetic shop whose customers buy and drop out like real ones (BG/NBD + Gamma-Gamma with heterogeneity),
/// in the CSV format of the CDNOW file; with <c>--interactions</c> also their contacts with the shop, whose complaints
/// and low ratings end some customers (<see cref="InteractionSimulationOptions"/>). With <c>--lines</c> every purchase
/// gets line items from a simulated catalogue (<see cref="CatalogueSimulator"/>) and its amount is the sum of its lines.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var customers = new Option<int>("--customers") { Description = "Number of customers", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed (same seed, same shop)", DefaultValueFactory = _ => 42 };
        var output = new Option<FileInfo>("--out") { Description = "Transactions CSV to write", Required = true };
        var contacts = new Option<FileInfo?>("--contacts") { Description = "Also write a contacts CSV (synthetic, no real personal data)" };
        var interactions = new Option<FileInfo?>("--interactions") { Description = "Also simulate interactions (complaints end some customers) and write them as CSV" };
        var interactionShape = new Option<string>("--interaction-shape")
        {
            Description = "How the shop's customers talk to it: complaints (frequent complaints, strong effect) or quiet (rare, mostly resolved, weaker effect)",
            DefaultValueFactory = _ => "complaints",
        };
        interactionShape.AcceptOnlyFromAmong("complaints", "quiet");
        var weeks = new Option<double>("--weeks") { Description = "Weeks of history from 1997-01-01", DefaultValueFactory = _ => 78 };
        var shape = new Option<double>("--rate-shape") { Description = "BG/NBD r: higher means more frequent buyers (CDNOW 0.243)", DefaultValueFactory = _ => 0.243 };
        var currency = new Option<string>("--currency") { Description = "ISO 4217 code written on every row (amounts are not converted)", DefaultValueFactory = _ => "USD" };
        var lines = new Option<FileInfo?>("--lines") { Description = "Also write line items (transactionId,customerId,sku,quantity,unitPrice,category,unitCost); amounts become the sum of the lines" };
        var catalogue = new Option<string>("--catalogue") { Description = "Catalogue shape for --lines: " + CatalogueOptions.Names, DefaultValueFactory = _ => "default" };
        catalogue.Validators.Add(result =>
        {
            if (CatalogueOptions.Named(result.GetValueOrDefault<string>() ?? "") is null)
            {
                result.AddError("--catalogue must be one of " + CatalogueOptions.Names + ".");
            }
        });
        currency.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is not { } code || !Core.Validation.Iso4217.IsKnown(code))
            {
                result.AddError("--currency must be an ISO 4217 code such as EUR.");
            }
        });
        customers.Within(n => n is >= 1 and <= 100_000_000, "--customers must be a whole number from 1 to 100,000,000.");
        weeks.Within(w => w is > 0 and <= 5_200, "--weeks must be more than 0 and at most 5,200.");
        shape.Within(r => r is > 0 and <= 1_000, "--rate-shape must be more than 0 and at most 1,000.");
        var command = new Command("generate", "Write a seeded synthetic shop as CSV.") { customers, seed, output, contacts, interactions, interactionShape, weeks, shape, currency, lines, catalogue };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new ShopSimulationOptions
            {
                Customers = parse.GetValue(customers),
                Seed = parse.GetValue(seed),
                ObservationWeeks = parse.GetValue(weeks),
                R = parse.GetValue(shape),
                Interactions = parse.GetValue(interactions) is null ? null
                    : parse.GetValue(interactionShape) == "quiet" ? InteractionSimulationOptions.Quiet
                    : new InteractionSimulationOptions(),
            };
            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            var linesFile = parse.GetValue(lines);
            var (rows, people) = await WriteAsync(options, parse.GetValue(output)!, parse.GetValue(contacts), cancellationToken, parse.GetValue(currency)!, parse.GetValue(interactions),
                linesFile is null ? null : (linesFile, CatalogueOptions.Named(parse.GetValue(catalogue)!)!));
            Console.WriteLine($"Generated {people:N0} customers and {rows:N0} transactions in {stopwatch.Elapsed.TotalSeconds:0.0} s: {parse.GetValue(output)!.FullName}");
            return 0;
        });
        return command;
    }

    /// <summary>Customers per chunk handed to another core for formatting.</summary>
    private const int ChunkCustomers = 4096;

    private static readonly string[] Countries = ["US", "GB", "DE", "FR", "NL", "SE", "ES", "IT", "CA", "AU"];

    /// <summary>The columns of the interactions file, in the order <c>crm import --interactions</c> reads them.</summary>
    public const string InteractionColumns = "interactionId,customerId,timestamp,channel,direction,type,rating,resolvedAt,campaignId";

    public static async Task<(long Transactions, int Customers)> WriteAsync(
        ShopSimulationOptions options, FileInfo output, FileInfo? contacts, CancellationToken cancellationToken, string currency = "USD", FileInfo? interactions = null,
        (FileInfo File, CatalogueOptions Shape)? lines = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        long rows = 0;
        var people = 0;
        await using var transactions = new StreamWriter(output.FullName, false, new UTF8Encoding(false), 1 << 20);
        await using var contactWriter = contacts is null ? null : new StreamWriter(contacts.FullName, false, new UTF8Encoding(false), 1 << 20);
        await using var interactionWriter = interactions is null ? null : new StreamWriter(interactions.FullName, false, new UTF8Encoding(false), 1 << 20);
        if (interactionWriter is not null)
        {
            await interactionWriter.WriteLineAsync(InteractionColumns);
        }

        await using var lineWriter = lines is null ? null : new StreamWriter(lines.Value.File.FullName, false, new UTF8Encoding(false), 1 << 20);
        var catalogue = lines is null ? null : new CatalogueSimulator(lines.Value.Shape, options.Seed);
        await transactions.WriteLineAsync("transactionId,customerId,timestamp,amount,currency,quantity");
        if (lineWriter is not null)
        {
            await lineWriter.WriteLineAsync("transactionId,customerId,sku,quantity,unitPrice,category,unitCost");
        }

        if (contactWriter is not null)
        {
            await contactWriter.WriteLineAsync("customerId,email,firstName,lastName,country,createdAt,marketingConsent");
        }

        // The simulation is one seeded random stream, so it runs in order on this thread; turning customers into
        // text is most of the work, so chunks are formatted on the other cores and written back in order.
        var inFlight = new Queue<Task<Chunk>>();
        foreach (var chunk in ShopSimulator.Simulate(options).Chunk(ChunkCustomers))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var first = people;
            people += chunk.Length;
            foreach (var customer in chunk)
            {
                rows += customer.History.Purchases.Count;
            }

            inFlight.Enqueue(Task.Run(() => Format(chunk, first, contactWriter is not null, interactionWriter is not null, currency, catalogue), cancellationToken));
            while (inFlight.Count > Environment.ProcessorCount)
            {
                await WriteChunkAsync(await inFlight.Dequeue(), transactions, contactWriter, interactionWriter, lineWriter, cancellationToken);
            }
        }

        while (inFlight.Count > 0)
        {
            await WriteChunkAsync(await inFlight.Dequeue(), transactions, contactWriter, interactionWriter, lineWriter, cancellationToken);
        }

        return (rows, people);
    }

    private sealed record Chunk(StringBuilder Transactions, StringBuilder? Contacts, StringBuilder? Interactions, StringBuilder? Lines);

    private static Chunk Format(SimulatedCustomer[] chunk, int first, bool withContacts, bool withInteractions, string currency, CatalogueSimulator? catalogue)
    {
        var invariant = CultureInfo.InvariantCulture;
        var lines = new StringBuilder(chunk.Length * 400);
        var contactLines = withContacts ? new StringBuilder(chunk.Length * 100) : null;
        var interactionLines = withInteractions ? new StringBuilder(chunk.Length * 1500) : null;
        var itemLines = catalogue is null ? null : new StringBuilder(chunk.Length * 800);
        for (var k = 0; k < chunk.Length; k++)
        {
            var id = chunk[k].History.CustomerId;
            var purchases = chunk[k].History.Purchases;

            // Each customer's baskets come from their own seeded stream, so chunks can be drawn on any core.
            var baskets = catalogue?.Baskets(chunk[k].History, first + k);
            for (var i = 0; i < purchases.Count; i++)
            {
                var amount = purchases[i].Amount;
                if (baskets is not null && itemLines is not null)
                {
                    amount = 0;
                    foreach (var line in baskets[i].Lines)
                    {
                        amount += line.NetAmount;
                        itemLines.Append(invariant, $"{baskets[i].TransactionId},{id},{line.Sku},{line.Quantity},{line.NetAmount / line.Quantity:F2},{line.Category},{line.UnitCost:F2}").AppendLine();
                    }
                }

                // Interpolation into the builder formats in place; "s" and "F2" are the fast standard forms of
                // yyyy-MM-ddTHH:mm:ss and 0.00 (amounts are never negative), so the file is the same as before.
                lines.Append(invariant, $"{CatalogueSimulator.TransactionId(id, i)},{id},{purchases[i].TimestampUtc:s}Z,{amount:F2},{currency},1").AppendLine();
            }

            var person = first + k;
            contactLines?.Append(invariant, $"{id},{id.ToLowerInvariant()}@example.invalid,Customer,{id},{Countries[person % Countries.Length]},{purchases[0].TimestampUtc:yyyy-MM-dd},{(person % 3 != 0 ? "true" : "false")}").AppendLine();
            if (interactionLines is not null)
            {
                var events = chunk[k].Interactions;
                for (var i = 0; i < events.Count; i++)
                {
                    var e = events[i];
                    interactionLines.Append(invariant, $"{id}-i{i},{id},{e.TimestampUtc:s}Z,{InteractionNames.Name(e.Channel)},{InteractionNames.Direction(e.Inbound)},{InteractionNames.Name(e.Type)},{e.Rating},");
                    if (e.ResolvedUtc is { } resolved)
                    {
                        interactionLines.Append(invariant, $"{resolved:s}Z");
                    }

                    interactionLines.Append(',').Append(e.CampaignId).AppendLine();
                }
            }
        }

        return new Chunk(lines, contactLines, interactionLines, itemLines);
    }

    private static async Task WriteChunkAsync(Chunk chunk, StreamWriter transactions, StreamWriter? contacts, StreamWriter? interactions, StreamWriter? lines, CancellationToken cancellationToken)
    {
        await transactions.WriteAsync(chunk.Transactions, cancellationToken);
        if (lines is not null && chunk.Lines is not null)
        {
            await lines.WriteAsync(chunk.Lines, cancellationToken);
        }

        if (contacts is not null && chunk.Contacts is not null)
        {
            await contacts.WriteAsync(chunk.Contacts, cancellationToken);
        }

        if (interactions is not null && chunk.Interactions is not null)
        {
            await interactions.WriteAsync(chunk.Interactions, cancellationToken);
        }
    }
}
