using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// Builds the storage clients from the "CrmStorage" setting, the same one the queue trigger uses: a connection
/// string locally (<c>UseDevelopmentStorage=true</c> for Azurite), or service URIs plus a managed identity in
/// Azure (<c>CrmStorage__tableServiceUri</c>, <c>__queueServiceUri</c>, <c>__blobServiceUri</c>, <c>__clientId</c>).
/// </summary>
public sealed class StorageClientFactory
{
    private readonly string? _connectionString;
    private readonly Uri? _tableUri;
    private readonly Uri? _queueUri;
    private readonly Uri? _blobUri;
    private readonly TokenCredential? _credential;
    private readonly StorageRequestCounter _counter;
    private readonly StorageOptions _options;

    public StorageClientFactory(IConfiguration configuration, IOptions<StorageOptions> options, StorageRequestCounter counter)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        _counter = counter;
        _options = options.Value;
        var section = configuration.GetSection(StorageOptions.ConnectionName);
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            _connectionString = section.Value;
            return;
        }

        _tableUri = ReadUri(section, "tableServiceUri");
        _queueUri = ReadUri(section, "queueServiceUri");
        _blobUri = ReadUri(section, "blobServiceUri");
        var clientId = section["clientId"];
        _credential = string.IsNullOrWhiteSpace(clientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
    }

    public TableServiceClient CreateTableServiceClient()
    {
        var options = Configure(new TableClientOptions());
        return _connectionString is not null
            ? new TableServiceClient(_connectionString, options)
            : new TableServiceClient(_tableUri, _credential, options);
    }

    public QueueServiceClient CreateQueueServiceClient()
    {
        var options = Configure(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        return _connectionString is not null
            ? new QueueServiceClient(_connectionString, options)
            : new QueueServiceClient(_queueUri, _credential, options);
    }

    public BlobServiceClient CreateBlobServiceClient()
    {
        var options = Configure(new BlobClientOptions());
        return _connectionString is not null
            ? new BlobServiceClient(_connectionString, options)
            : new BlobServiceClient(_blobUri, _credential, options);
    }

    /// <summary>The same retry policy and request counter on every client.</summary>
    private T Configure<T>(T options)
        where T : ClientOptions
    {
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = _options.RetryMaxAttempts;
        options.Retry.Delay = _options.RetryDelay;
        options.Retry.NetworkTimeout = _options.NetworkTimeout;
        options.AddPolicy(_counter, HttpPipelinePosition.PerRetry);
        return options;
    }

    private static Uri ReadUri(IConfigurationSection section, string key)
    {
        var value = section[key];
        if (string.IsNullOrWhiteSpace(value) || !Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            throw new InvalidOperationException(
                $"Storage is not configured: set {StorageOptions.ConnectionName} to a connection string (UseDevelopmentStorage=true for Azurite), " +
                $"or set {StorageOptions.ConnectionName}__tableServiceUri, __queueServiceUri and __blobServiceUri (and __clientId for a user-assigned identity). " +
                $"{StorageOptions.ConnectionName}__{key} is missing or not an absolute URI.");
        }

        return uri;
    }
}
