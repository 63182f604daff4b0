using System.Text.Json;
using Crm.Serverless.Core.Domain;

namespace Crm.Serverless.Core.Validation;

/// <summary>
/// System.Text.Json accepts a document with invalid UTF-8 inside a string or a lone-surrogate escape ("\uD800")
/// and only throws when the string is read. These helpers find such text first, so a hostile item is refused
/// with a field error instead of failing the request with an exception.
/// </summary>
internal static class JsonText
{
    public const string InvalidMessage = "must be valid Unicode text (no invalid UTF-8 and no lone surrogate escapes)";

    public static bool TryGetString(JsonElement element, out string? value)
    {
        try
        {
            value = element.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = null;
            return false;
        }
    }

    /// <summary>The first property name or string value under <paramref name="element"/> that cannot be read as text.</summary>
    public static FieldError? FindInvalid(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return TryGetString(element, out _) ? null : new FieldError(path.Length == 0 ? "body" : path, InvalidMessage);

            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return new FieldError(path.Length == 0 ? "body" : path, "has a property name that " + InvalidMessage);
                    }

                    if (FindInvalid(property.Value, Join(path, name)) is { } error)
                    {
                        return error;
                    }
                }

                return null;

            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindInvalid(item, $"{path}[{index}]") is { } error)
                    {
                        return error;
                    }

                    index++;
                }

                return null;

            default:
                return null;
        }
    }

    private static string Join(string path, string name) => path.Length == 0 || path.EndsWith('.') ? path + name : path + "." + name;
}
