using System.Text.Json;
using Crm.Serverless.Cli;
using Crm.Serverless.Local;
using Crm.Serverless.Testing;

namespace Crm.Serverless.Core.Tests;

/// <summary>`crm clv fit` against the published CDNOW results (Fader, Hardie and Lee 2005; Fader and Hardie 2013).</summary>
[Collection(AzuriteCollection.Name)]
public class ClvCommandTests
{
    [Fact]
    public async Task ClvFit_CdnowSample_PrintsThePublishedParameters()
    {
        var sample = Path.Combine(AzuriteLauncher.FindRepositoryRoot(AppContext.BaseDirectory)!, "data", "cdnow", "cdnow_sample.csv");
        var output = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(output);
        int exitCode;
        try
        {
            exitCode = await CrmCommandLine.RunAsync(["clv", "fit", "--transactions", sample, "--calibration-end", "1997-09-30", "--time-unit", "weeks", "--json"]);
        }
        finally
        {
            Console.SetOut(previous);
        }

        Assert.Equal(0, exitCode);
        var json = JsonDocument.Parse(output.ToString()).RootElement;
        Assert.Equal(0.243, Math.Round(json.GetProperty("r").GetDouble(), 3));
        Assert.Equal(4.414, Math.Round(json.GetProperty("alpha").GetDouble(), 3));
        Assert.Equal(0.793, Math.Round(json.GetProperty("a").GetDouble(), 3));
        Assert.Equal(2.426, Math.Round(json.GetProperty("b").GetDouble(), 3));
        Assert.Equal(-9582.4, Math.Round(json.GetProperty("bgnbdLogLikelihood").GetDouble(), 1));
        Assert.Equal(6.25, Math.Round(json.GetProperty("p").GetDouble(), 2));
        Assert.Equal(3.74, Math.Round(json.GetProperty("q").GetDouble(), 2));
        Assert.Equal(15.44, Math.Round(json.GetProperty("gamma").GetDouble(), 2));
        Assert.Equal(2357, json.GetProperty("customers").GetInt32());
        Assert.Equal(946, json.GetProperty("repeatCustomers").GetInt32());
    }
}
