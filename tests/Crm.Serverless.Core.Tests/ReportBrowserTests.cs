using System.Diagnostics;
using System.Text.RegularExpressions;
using Crm.Serverless.Testing;
using SkiaSharp;

namespace Crm.Serverless.Core.Tests;

/// <summary>
/// The report as a browser sees it: headless Chromium (installed by .ci/run) loads the file offline, lays it out and
/// paints it. Chromium must be on the PATH; a missing browser fails the test rather than skipping it.
/// </summary>
[Collection(AzuriteCollection.Name)]
public partial class ReportBrowserTests(AzuriteFixture azurite) : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("crm-report-");

    public void Dispose()
    {
        _work.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Chromium_LoadsTheReportWithoutConsoleErrorsAndPaintsEveryChart()
    {
        var seeded = await SeededReport.GetAsync(azurite);
        var page = Path.Combine(_work.FullName, "report.html");
        await File.WriteAllTextAsync(page, seeded.Html);
        var screenshot = Path.Combine(_work.FullName, "report.png");

        var dom = await RunChromiumAsync(page, "--dump-dom");
        var shot = await RunChromiumAsync(page, $"--screenshot={screenshot}", "--window-size=1280,4000", "--hide-scrollbars");

        Assert.Equal(0, dom.ExitCode);
        Assert.Equal(0, shot.ExitCode);
        foreach (var log in new[] { dom.Error, shot.Error })
        {
            Assert.DoesNotContain("Uncaught", log, StringComparison.Ordinal);
            Assert.DoesNotContain("CONSOLE", log, StringComparison.Ordinal);
            Assert.DoesNotContain("Refused to", log, StringComparison.Ordinal);
            Assert.DoesNotContain("net::ERR", log, StringComparison.Ordinal);
        }

        // The DOM after parsing still holds every chart with a drawable size (a malformed SVG would be dropped or empty).
        var svgs = SvgOpen().Matches(dom.Output).ToList();
        Assert.Equal(SvgOpen().Count(seeded.Html), svgs.Count);
        Assert.True(svgs.Count >= 6);
        Assert.All(svgs, svg => Assert.Matches(" width=\"[1-9]\\d*\" height=\"[1-9]\\d*\"", svg.Value));
        Assert.Contains("</html>", dom.Output, StringComparison.Ordinal);

        // The screenshot is a painted page, not a blank one: plenty of non-white pixels and many colours (the charts').
        using var bitmap = SKBitmap.Decode(screenshot);
        Assert.NotNull(bitmap);
        Assert.Equal(1280, bitmap.Width);
        var colours = new HashSet<uint>();
        long inked = 0;
        for (var y = 0; y < bitmap.Height; y += 2)
        {
            for (var x = 0; x < bitmap.Width; x += 2)
            {
                var pixel = bitmap.GetPixel(x, y);
                colours.Add((uint)pixel);
                inked += pixel.Red + pixel.Green + pixel.Blue < 600 ? 1 : 0;
            }
        }

        Assert.True(inked > bitmap.Width * bitmap.Height / 4 / 50, $"{inked} inked pixels");
        Assert.True(colours.Count > 50, $"{colours.Count} colours");
    }

    private async Task<(int ExitCode, string Output, string Error)> RunChromiumAsync(string page, params string[] arguments)
    {
        var start = new ProcessStartInfo("chromium")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", $"--user-data-dir={_work.CreateSubdirectory("profile-" + Guid.NewGuid().ToString("N")).FullName}",
            "--enable-logging=stderr", "--v=0", .. arguments, new Uri(page).AbsoluteUri])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("chromium did not start; .ci/run installs it (apt-get install chromium).");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    [GeneratedRegex("<svg[^>]*>")]
    private static partial Regex SvgOpen();
}
