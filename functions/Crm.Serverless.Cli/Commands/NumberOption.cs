using System.CommandLine;
using System.Globalization;

namespace Crm.Serverless.Cli.Commands;

/// <summary>
/// Number options checked as they are parsed, as <see cref="DateOption"/> checks dates: text that is no number and
/// a number out of range get the same one-line message and a usage error. (A validator that reads the value throws
/// on text that did not convert, which reached the user as a stack trace.)
/// </summary>
internal static class NumberOption
{
    public static Option<T> Within<T>(this Option<T> option, Func<T, bool> valid, string message)
        where T : ISpanParsable<T>
    {
        ArgumentNullException.ThrowIfNull(option);
        option.CustomParser = result =>
        {
            if (result.Tokens is [var token] && T.TryParse(token.Value, CultureInfo.InvariantCulture, out var value) && valid(value))
            {
                return value;
            }

            result.AddError(message);
            return default!;
        };
        return option;
    }

    /// <summary>The same check for an option that may be left out (its default is worked out from other options).</summary>
    public static Option<T?> Within<T>(this Option<T?> option, Func<T, bool> valid, string message)
        where T : struct, ISpanParsable<T>
    {
        ArgumentNullException.ThrowIfNull(option);
        option.CustomParser = result =>
        {
            if (result.Tokens is [var token] && T.TryParse(token.Value, CultureInfo.InvariantCulture, out var value) && valid(value))
            {
                return value;
            }

            result.AddError(message);
            return null;
        };
        return option;
    }
}
