namespace Crm.Serverless.Core.Validation;

/// <summary>
/// Rules for ids that become Table Storage keys. The service forbids <c>/ \ # ?</c> and control characters in
/// keys; a customer id may not contain <c>|</c> either, because it separates customer and transaction ids in
/// row keys (see <see cref="Storage.CrmKeys"/>).
/// </summary>
public static class KeyRules
{
    public const int MaxIdLength = 128;
    public const char Separator = '|';

    public static string? CheckId(string value, bool isCustomerId)
    {
        if (value.Length == 0 || string.IsNullOrWhiteSpace(value))
        {
            return "must not be empty";
        }

        if (value.Length > MaxIdLength)
        {
            return $"must be at most {MaxIdLength} characters";
        }

        if (value.Trim().Length != value.Length)
        {
            return "must not start or end with white space";
        }

        foreach (var c in value)
        {
            if (c is '/' or '\\' or '#' or '?')
            {
                return "must not contain '/', '\\', '#' or '?' (Table Storage forbids them in keys)";
            }

            if (char.IsControl(c))
            {
                return "must not contain control characters";
            }

            if (char.IsSurrogate(c) && !HasValidSurrogates(value))
            {
                return "must be valid Unicode";
            }

            if (isCustomerId && c == Separator)
            {
                return "must not contain '|'";
            }
        }

        return null;
    }

    private static bool HasValidSurrogates(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]))
            {
                if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(value[i]))
            {
                return false;
            }
        }

        return true;
    }
}
