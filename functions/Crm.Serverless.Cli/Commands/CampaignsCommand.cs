using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Crm.Serverless.Core.Campaigns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Crm.Serverless.Cli.Commands;

/// <summary>
/// <c>crm campaigns create NAME --segment SLUG [--marketable] [--control 10%] [--seed N] [--sent-at DATE]</c>,
/// <c>export NAME FILE</c>, <c>list</c> and <c>report NAME [--window 30] [--json]</c>: the same
/// <see cref="CampaignService"/> as <c>POST /api/campaigns</c> and <c>GET /api/campaigns/{name}/report</c>.
/// </summary>
internal static class CampaignsCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static Command Create() => new("campaigns", "Campaigns with a held-out control group: create (freeze and split a segment), export the treatment list, list, report the uplift.")
    {
        CreateCommand(),
        ExportCommand(),
        ListCommand(),
        ReportCommand(),
    };

    private static Command CreateCommand()
    {
        var name = new Argument<string>("NAME") { Description = "The campaign's name: letters, digits, '.', '_' or '-' (at most 64)" };
        var segment = new Option<string>("--segment") { Description = "The segment whose customers are targeted, e.g. at-risk (from the latest complete run)", Required = true };
        var marketable = new Option<bool>("--marketable") { Description = "Only customers whose marketing consent is true at creation" };
        var control = new Option<string>("--control") { Description = "The share held out as the control group, e.g. 10% (1% to 90%)", DefaultValueFactory = _ => "10%" };
        var seed = new Option<long?>("--seed") { Description = "Fixes the random split (default: a random seed, stored with the campaign)" };
        var sentAt = DateOption.Create("--sent-at", "The day the mailing went out, YYYY-MM-DD (default: now): the response window starts here");
        var command = new Command("create", "Freeze a segment's customers as the target list and split it at random into treatment and control.") { name, segment, marketable, control, seed, sentAt };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (ParseShare(parse.GetValue(control)!) is not { } share)
            {
                await Console.Error.WriteLineAsync($"--control must be a percentage from 1% to 90%, e.g. 10%, not '{parse.GetValue(control)}'.");
                return CrmCommandLine.UserError;
            }

            var sent = parse.GetValue(sentAt) is { } day ? new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : (DateTimeOffset?)null;
            var request = new CampaignRequest(parse.GetValue(name), parse.GetValue(segment), parse.GetValue(marketable), share, parse.GetValue(seed), sent);
            if (CampaignRules.Check(request) is { Count: > 0 } errors)
            {
                // Before storage is opened: a typo needs no Azurite to be reported.
                await WriteErrorsAsync(errors);
                return CrmCommandLine.UserError;
            }

            using var host = await StartAsync(cancellationToken);
            var created = await host.Services.GetRequiredService<CampaignService>().CreateAsync(request, cancellationToken);
            switch (created.Status)
            {
                case CampaignCreationStatus.Created:
                    var c = created.Campaign!;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"Campaign {c.Name}: {c.Treatment + c.Control:N0} customers of segment {c.Segment} (run {c.RunId} as of {c.RunAsOf:yyyy-MM-dd}){(c.MarketableOnly ? ", consenting at creation" : "")}; {c.Treatment:N0} treatment, {c.Control:N0} control ({c.ControlShare:0.#%} held out, seed {c.Seed}); sent {c.SentAt:yyyy-MM-dd}"));
                    return 0;
                case CampaignCreationStatus.Exists:
                    await Console.Error.WriteLineAsync($"A campaign named '{created.Campaign!.Name}' exists already (created {created.Campaign.CreatedAt:yyyy-MM-dd}); choose another name.");
                    return CrmCommandLine.UserError;
                case CampaignCreationStatus.NoRun:
                    await Console.Error.WriteLineAsync("No scoring run has completed yet, so there are no segments: run `crm score --train` or `crm demo` first.");
                    return CrmCommandLine.UserError;
                default:
                    await WriteErrorsAsync(created.Errors);
                    return CrmCommandLine.UserError;
            }
        });
        return command;
    }

    private static Command ExportCommand()
    {
        var name = new Argument<string>("NAME") { Description = "The campaign" };
        var file = new Argument<FileInfo>("FILE") { Description = "CSV file to write: customerId,email (treatment only)" };
        var command = new Command("export", "Write the campaign's treatment list as CSV for the mailing tool (customerId, e-mail when known and consenting now); the control group is never written.") { name, file };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.GetValue(file)!;
            using var host = await StartAsync(cancellationToken);
            output.Directory?.Create();
            int rows;
            await using (var writer = output.CreateText())
            {
                rows = await host.Services.GetRequiredService<CampaignService>().WriteTreatmentAsync(writer, parse.GetValue(name)!, cancellationToken);
            }

            if (rows < 0)
            {
                output.Delete();
                return await NoSuchCampaignAsync(parse.GetValue(name)!);
            }

            Console.WriteLine($"Export: {rows:N0} treatment customers written to {output.FullName}");
            return 0;
        });
        return command;
    }

    private static Command ListCommand()
    {
        var command = new Command("list", "List campaigns with their segment, send date and group sizes.");
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var host = await StartAsync(cancellationToken);
            var campaigns = await host.Services.GetRequiredService<CampaignService>().ListAsync(cancellationToken);
            if (campaigns.Count == 0)
            {
                Console.WriteLine("No campaigns yet: `crm campaigns create NAME --segment SLUG`.");
                return 0;
            }

            Console.WriteLine($"{"campaign",-24} {"segment",-18} {"sent",10} {"treatment",9} {"control",8} {"share",6}  status");
            foreach (var c in campaigns)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c.Name,-24} {c.Segment,-18} {c.SentAt:yyyy-MM-dd} {c.Treatment,9:N0} {c.Control,8:N0} {c.ControlShare,6:0.#%}  {c.Status}"));
            }

            return 0;
        });
        return command;
    }

    private static Command ReportCommand()
    {
        var name = new Argument<string>("NAME") { Description = "The campaign" };
        var window = new Option<int>("--window") { Description = $"Days after the send date in which a purchase counts as a response (1 to {CampaignFigures.MaxWindowDays})", DefaultValueFactory = _ => CampaignFigures.DefaultWindowDays };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var command = new Command("report", "Response rate, revenue per customer (net of refunds) and the uplift with 95% intervals, treatment against control.") { name, window, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var days = parse.GetValue(window);
            if (days is < 1 or > CampaignFigures.MaxWindowDays)
            {
                await Console.Error.WriteLineAsync($"--window must be from 1 to {CampaignFigures.MaxWindowDays} days, not {days}.");
                return CrmCommandLine.UserError;
            }

            using var host = await StartAsync(cancellationToken);
            if (await host.Services.GetRequiredService<CampaignService>().ReportAsync(parse.GetValue(name)!, days, cancellationToken) is not { } report)
            {
                return await NoSuchCampaignAsync(parse.GetValue(name)!);
            }

            Console.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(report, Json) : Text(report));
            return 0;
        });
        return command;
    }

    /// <summary>"10%", "10" or "12.5%": a percentage, as a fraction; null when not one from 1 to 90.</summary>
    internal static double? ParseShare(string text)
    {
        var number = text.Trim().TrimEnd('%');
        return double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent) && percent is >= 1 and <= 90
            ? percent / 100
            : null;
    }

    internal static string Text(CampaignReport r)
    {
        var (t, c) = (r.Treatment, r.Control);
        return string.Create(CultureInfo.InvariantCulture, $"""
            Campaign {r.Name} (segment {r.Segment}): sent {r.SentAt:yyyy-MM-dd}, window {r.WindowDays} days to {r.WindowEnd:yyyy-MM-dd}{(r.WindowComplete ? "" : $" (still open: observed to {r.ObservedUntil:yyyy-MM-dd})")}
                                     treatment      control
              customers           {t.Customers,12:N0} {c.Customers,12:N0}
              responders          {t.Responders,12:N0} {c.Responders,12:N0}
              response rate       {t.ResponseRate,12:0.00%} {c.ResponseRate,12:0.00%}
              revenue per customer{t.RevenuePerCustomer,12:N2} {c.RevenuePerCustomer,12:N2}  {r.Currency}
              margin per customer {Margin(t),12} {Margin(c),12}  {r.Currency}
            Response uplift: {Interval(r.ResponseUplift, 100)} points ({r.ResponseUplift.Method}): {r.ResponseVerdict}
            Revenue uplift:  {Interval(r.RevenueUplift, 1)} per customer ({r.RevenueUplift?.Method ?? UpliftIntervals.WelchMethod}): {r.RevenueVerdict}
            Margin uplift:   {Interval(r.MarginUplift, 1)} per customer: {r.MarginNote}
            """);
    }

    /// <summary>"unknown" rather than a number when a responder's unit costs are missing: revenue is never shown as margin.</summary>
    private static string Margin(GroupFigures g)
        => g.MarginPerCustomer is { } margin ? margin.ToString("N2", CultureInfo.InvariantCulture) : "unknown";

    private static string Interval(Uplift? u, double scale)
        => u is null || double.IsNaN(u.Estimate)
            ? "-"
            : string.Create(CultureInfo.InvariantCulture, $"{u.Estimate * scale:+0.00;-0.00} (95% CI {u.Lower * scale:0.00} to {u.Upper * scale:0.00})");

    private static async Task<IHost> StartAsync(CancellationToken cancellationToken)
    {
        var host = CliHost.Build();
        await host.StartAsync(cancellationToken);
        return host;
    }

    private static async Task<int> NoSuchCampaignAsync(string name)
    {
        await Console.Error.WriteLineAsync($"No campaign named '{name}': `crm campaigns list` shows them.");
        return CrmCommandLine.UserError;
    }

    private static async Task WriteErrorsAsync(IEnumerable<Core.Domain.FieldError> errors)
    {
        foreach (var error in errors)
        {
            var option = error.Field switch { "name" => "NAME", "controlShare" => "--control", _ => "--" + error.Field };
            await Console.Error.WriteLineAsync($"{option} {error.Message}.");
        }
    }
}
