using Azure;
using Azure.Data.Tables;

namespace Crm.Serverless.Core.Storage;

/// <summary>One fact about the store (PartitionKey <c>store</c>, RowKey the setting's name), written once.</summary>
public sealed class StoreSettingEntity : ITableEntity
{
    public const string StorePartition = "store";

    public string PartitionKey { get; set; } = StorePartition;
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string Value { get; set; } = "";
}
