using System.Globalization;
using System.Text.RegularExpressions;

namespace Crm.Serverless.Core.Validation;

/// <summary>ISO 8601 timestamps with an explicit offset or Z; a local time without offset is ambiguous and refused.</summary>
public static partial class TimestampFormat
{
    public const string Expected = "an ISO 8601 timestamp with offset or Z, e.g. 2024-05-01T14:30:00Z";

    public static bool TryParse(ReadOnlySpan<char> value, out DateTimeOffset timestamp)
    {
        if (TryParseUtcSeconds(value, out timestamp))
        {
            return true;
        }

        timestamp = default;
        return value.Length <= 40
            && Iso8601WithOffset().IsMatch(value)
            && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out timestamp);
    }

    /// <summary>CSV exports often carry a bare date (CDNOW does); it is read as midnight UTC.</summary>
    public static bool TryParseDateOrTimestamp(ReadOnlySpan<char> value, out DateTimeOffset timestamp)
    {
        if (TryParse(value, out timestamp))
        {
            return true;
        }

        if (value.Length == 10 && TryDigits(value, 0, 4, out var year) && value[4] == '-' && TryDigits(value, 5, 2, out var month) && value[7] == '-' && TryDigits(value, 8, 2, out var day)
            && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(Math.Max(year, 1), month) && year >= 1)
        {
            timestamp = new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.Zero);
            return true;
        }

        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            timestamp = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return true;
        }

        return false;
    }

    /// <summary>
    /// The shape shop exports use most, "2024-05-01T14:30:00Z", read without regex or culture machinery: bulk
    /// imports parse millions of them. Anything else takes the general path.
    /// </summary>
    private static bool TryParseUtcSeconds(ReadOnlySpan<char> value, out DateTimeOffset timestamp)
    {
        timestamp = default;
        if (value.Length != 20 || value[4] != '-' || value[7] != '-' || value[10] != 'T' || value[13] != ':' || value[16] != ':' || value[19] != 'Z'
            || !TryDigits(value, 0, 4, out var year) || !TryDigits(value, 5, 2, out var month) || !TryDigits(value, 8, 2, out var day)
            || !TryDigits(value, 11, 2, out var hour) || !TryDigits(value, 14, 2, out var minute) || !TryDigits(value, 17, 2, out var second))
        {
            return false;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        timestamp = new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero);
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<char> value, int start, int length, out int number)
    {
        number = 0;
        for (var i = start; i < start + length; i++)
        {
            var digit = value[i] - '0';
            if (digit is < 0 or > 9)
            {
                return false;
            }

            number = (number * 10) + digit;
        }

        return true;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Iso8601WithOffset();
}
