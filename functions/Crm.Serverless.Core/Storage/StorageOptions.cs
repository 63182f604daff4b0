using System.ComponentModel.DataAnnotations;

namespace Crm.Serverless.Core.Storage;

/// <summary>Names of the app's tables, bound from the "Storage" section. The connection itself is "CrmStorage".</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>The connection setting shared with the queue trigger binding (<c>Connection = "CrmStorage"</c>).</summary>
    public const string ConnectionName = "CrmStorage";

    /// <summary>Prefix for every table name, so several environments or test runs can share one account.</summary>
    [RegularExpression("^([A-Za-z][A-Za-z0-9]{0,30})?$", ErrorMessage = "Storage:TablePrefix must be empty or start with a letter and hold only letters and digits (at most 31).")]
    public string TablePrefix { get; set; } = "";

    public string CustomersTable => TablePrefix + "Customers";

    public string RejectedTable => TablePrefix + "Rejected";
}
