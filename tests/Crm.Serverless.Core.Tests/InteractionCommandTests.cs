using System.Globalization;
using Crm.Serverless.Cli;
using Crm.Serverless.Cli.Commands;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Serverless.Core.Tests;

/// <summary>
/// <c>crm generate --interactions</c> and <c>crm evaluate --interactions</c>. In the Azurite collection only because
/// commands print to the process-wide console that other command tests capture.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class InteractionCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("crm-interactions-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Generate_WithInteractions_WritesEveryKindOfContactForKnownCustomersReadableByEvaluate()
    {
        var transactions = Path.Combine(_folder, "shop.csv");
        var interactions = Path.Combine(_folder, "interactions.csv");

        var exitCode = await CrmCommandLine.RunAsync(["generate", "--customers", "2000", "--seed", "5", "--rate-shape", "1.2", "--weeks", "104", "--out", transactions, "--interactions", interactions]);

        Assert.Equal(0, exitCode);
        Assert.Equal(GenerateCommand.InteractionColumns, File.ReadLines(interactions).First());
        using var host = CliHost.Build();
        var file = host.Services.GetRequiredService<InteractionCsvReader>().ReadEvents(interactions);
        Assert.Equal(0, file.Rejected);
        var buyers = File.ReadLines(transactions).Skip(1).Select(l => l.Split(',')[1]).ToHashSet(StringComparer.Ordinal);
        Assert.All(file.ByCustomer.Keys, id => Assert.Contains(id, buyers));
        var all = file.ByCustomer.Values.SelectMany(e => e).ToList();
        Assert.Contains(all, e => e.Type == InteractionType.Complaint && e.ResolvedUtc is null);
        Assert.Contains(all, e => e.Type == InteractionType.Complaint && e.ResolvedUtc > e.TimestampUtc);
        Assert.Contains(all, e => e.Type == InteractionType.Feedback && e.Rating is >= 1 and <= 2);
        Assert.Contains(all, e => e is { Type: InteractionType.Marketing, Inbound: false, Channel: InteractionChannel.Email, CampaignId: not null });
        Assert.True(all.Where(e => e.Inbound).Select(e => e.Channel).Distinct().Count() >= 5, "inbound contacts come through most channels");
    }

    [Fact]
    public async Task Evaluate_WithInteractions_PrintsEachModelWithAndWithoutTheInteractionFeatures()
    {
        var transactions = Path.Combine(_folder, "shop.csv");
        var interactions = Path.Combine(_folder, "interactions.csv");
        Assert.Equal(0, await CrmCommandLine.RunAsync(["generate", "--customers", "1500", "--seed", "9", "--rate-shape", "1.2", "--weeks", "104", "--out", transactions, "--interactions", interactions]));
        var output = new StringWriter(CultureInfo.InvariantCulture);
        var previous = Console.Out;
        Console.SetOut(output);
        int exitCode;
        try
        {
            exitCode = await CrmCommandLine.RunAsync(["evaluate", "--transactions", transactions, "--interactions", interactions, "--name", "shop", "--as-of", "1998-12-31"]);
        }
        finally
        {
            Console.SetOut(previous);
        }

        Assert.Equal(0, exitCode);
        var rows = output.ToString().Split('\n').Where(l => l.StartsWith("| shop", StringComparison.Ordinal) && l.Contains("| 1998-12-31 |", StringComparison.Ordinal)).ToList();
        foreach (var variant in new[] { "shop, with interactions", "shop, without interactions" })
        {
            foreach (var target in new[] { "Churn", "Purchase" })
            {
                Assert.Contains(rows, r => r.StartsWith($"| {variant} | {target} |", StringComparison.Ordinal));
            }
        }
    }
}
