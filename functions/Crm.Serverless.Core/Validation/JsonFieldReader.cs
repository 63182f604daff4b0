using System.Text.Json;
using Crm.Serverless.Core.Domain;

namespace Crm.Serverless.Core.Validation;

/// <summary>
/// Reads typed fields from one JSON object and records every wrong field instead of stopping at the first, so a
/// caller learns all that is wrong with an item in one answer.
/// </summary>
internal sealed class JsonFieldReader(JsonElement element, string prefix, List<FieldError> errors)
{
    public const int MaxStringLength = 4096;

    public string Field(string name) => prefix + name;

    public string? RequiredString(string name) => String(name, required: true);

    public string? OptionalString(string name) => String(name, required: false);

    /// <summary>Whether the object names the field at all; an explicit null counts (it clears a stored value).</summary>
    public bool Has(string name) => element.TryGetProperty(name, out _);

    public decimal? OptionalDecimal(string name) => Number(name, required: false, static (JsonElement e, out decimal d) => e.TryGetDecimal(out d), "a decimal number");

    public DateTimeOffset? Timestamp(string name, bool required)
    {
        var text = String(name, required);
        if (text is null)
        {
            return null;
        }

        if (TimestampFormat.TryParse(text, out var timestamp))
        {
            return timestamp;
        }

        errors.Add(new FieldError(Field(name), "must be " + TimestampFormat.Expected));
        return null;
    }

    public decimal? RequiredDecimal(string name) => Number(name, required: true, static (JsonElement e, out decimal d) => e.TryGetDecimal(out d), "a decimal number");

    public int? OptionalInt(string name) => Number(name, required: false, static (JsonElement e, out int i) => e.TryGetInt32(out i), "a whole number");

    public int? RequiredInt(string name) => Number(name, required: true, static (JsonElement e, out int i) => e.TryGetInt32(out i), "a whole number");

    public bool? OptionalBool(string name)
    {
        if (!TryGet(name, required: false, out var value))
        {
            return null;
        }

        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }

        errors.Add(new FieldError(Field(name), "must be true or false"));
        return null;
    }

    public bool TryGetArray(string name, out JsonElement array)
    {
        if (TryGet(name, required: false, out array))
        {
            if (array.ValueKind == JsonValueKind.Array)
            {
                return true;
            }

            errors.Add(new FieldError(Field(name), "must be an array"));
        }

        return false;
    }

    public bool TryGetObject(string name, out JsonElement obj)
    {
        if (TryGet(name, required: false, out obj))
        {
            if (obj.ValueKind == JsonValueKind.Object)
            {
                return true;
            }

            errors.Add(new FieldError(Field(name), "must be an object"));
        }

        return false;
    }

    private delegate bool NumberReader<T>(JsonElement element, out T value);

    private T? Number<T>(string name, bool required, NumberReader<T> read, string what)
        where T : struct
    {
        if (!TryGet(name, required, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && read(value, out var number))
        {
            return number;
        }

        errors.Add(new FieldError(Field(name), value.ValueKind == JsonValueKind.Number ? $"must be {what} in range" : $"must be {what} (a JSON number, not {Describe(value.ValueKind)})"));
        return null;
    }

    private string? String(string name, bool required)
    {
        if (!TryGet(name, required, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(new FieldError(Field(name), $"must be a string, not {Describe(value.ValueKind)}"));
            return null;
        }

        if (!JsonText.TryGetString(value, out var text))
        {
            errors.Add(new FieldError(Field(name), JsonText.InvalidMessage));
            return null;
        }

        // Anything this long is not a field, it is an attack.
        if (text!.Length > MaxStringLength)
        {
            errors.Add(new FieldError(Field(name), $"must be at most {MaxStringLength} characters"));
            return null;
        }

        return text;
    }

    private bool TryGet(string name, bool required, out JsonElement value)
    {
        if (element.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        if (required)
        {
            errors.Add(new FieldError(Field(name), "is required"));
        }

        return false;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
