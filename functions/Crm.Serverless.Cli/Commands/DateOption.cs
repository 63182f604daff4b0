using System.CommandLine;
using System.Globalization;

namespace Crm.Serverless.Cli.Commands;

/// <summary>Date options (YYYY-MM-DD): the shared --as-of (the date the pipeline treats as today), --calibration-end.</summary>
internal static class DateOption
{
    public static Option<DateOnly?> Create() => Create("--as-of", "The date the pipeline treats as today, YYYY-MM-DD (default: the latest purchase day in the data)");

    public static Option<DateOnly?> Create(string name, string description, bool required = false) => new(name)
    {
        Description = description,
        Required = required,
        CustomParser = result => Parse(result, name, result.Tokens.Single().Value),
    };

    /// <summary>Several dates, each its own YYYY-MM-DD (<c>--as-of 1997-06-30 --as-of 1997-12-31</c>, or one option, several values).</summary>
    public static Option<DateOnly[]> CreateMany(string name, string description) => new(name)
    {
        Description = description,
        AllowMultipleArgumentsPerToken = true,
        CustomParser = result => [.. result.Tokens.Select(token => Parse(result, name, token.Value) ?? default)],
    };

    private static DateOnly? Parse(System.CommandLine.Parsing.ArgumentResult result, string name, string text)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        result.AddError($"{name} must be a date as YYYY-MM-DD, not '{text}'.");
        return null;
    }
}
