using System.Globalization;
using System.Text.RegularExpressions;

namespace Crm.Serverless.Core.Validation;

/// <summary>ISO 8601 timestamps with an explicit offset or Z; a local time without offset is ambiguous and refused.</summary>
public static partial class TimestampFormat
{
    public const string Expected = "an ISO 8601 timestamp with offset or Z, e.g. 2024-05-01T14:30:00Z";

    public static bool TryParse(string value, out DateTimeOffset timestamp)
    {
        timestamp = default;
        return value.Length <= 40
            && Iso8601WithOffset().IsMatch(value)
            && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out timestamp);
    }

    /// <summary>CSV exports often carry a bare date (CDNOW does); it is read as midnight UTC.</summary>
    public static bool TryParseDateOrTimestamp(string value, out DateTimeOffset timestamp)
    {
        if (TryParse(value, out timestamp))
        {
            return true;
        }

        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            timestamp = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return true;
        }

        return false;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Iso8601WithOffset();
}
