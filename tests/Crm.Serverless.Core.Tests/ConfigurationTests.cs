using Crm.Serverless.Ml;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Tests;

/// <summary>Bad configuration stops the host at start with a message that says what to set.</summary>
public class ConfigurationTests
{
    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddCrmCore();
        builder.AddCrmMl();
        return builder.Build();
    }

    [Fact]
    public async Task Start_WithoutStorageSetting_NamesTheSettingsToSet()
    {
        using var host = Build([]);

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("CrmStorage", exception.Message, StringComparison.Ordinal);
        Assert.Contains("tableServiceUri", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Ingest:QueueName", "Bad_Queue", "Ingest:QueueName")]
    [InlineData("Ingest:ReportingCurrency", "dollars", "Ingest:ReportingCurrency")]
    [InlineData("Storage:TablePrefix", "9abc", "Storage:TablePrefix")]
    public async Task Start_WithInvalidSetting_FailsNamingIt(string key, string value, string named)
    {
        using var host = Build(new() { ["CrmStorage"] = "UseDevelopmentStorage=true", [key] = value });

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(named, exception.Message, StringComparison.Ordinal);
    }
}
