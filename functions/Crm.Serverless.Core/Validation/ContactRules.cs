using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Core.Validation;

/// <summary>What makes a contact acceptable, whichever door it came in by.</summary>
public sealed class ContactRules(TimeProvider clock)
{
    public const int MaxEmailLength = 254;
    public const int MaxNameLength = 100;
    public const int MaxAttributes = 50;
    public const int MaxAttributeKeyLength = 64;
    public const int MaxAttributeValueLength = 256;

    public void Validate(Contact contact, string prefix, List<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(contact);
        ArgumentNullException.ThrowIfNull(errors);
        TransactionRules.CheckId(contact.CustomerId, "customerId", isCustomerId: true, prefix, errors);

        if (contact.Email is { } email && !LooksLikeEmail(email))
        {
            errors.Add(new FieldError(prefix + "email", "must be an email address such as name@example.com"));
        }

        CheckName(contact.FirstName, prefix + "firstName", errors);
        CheckName(contact.LastName, prefix + "lastName", errors);

        if (contact.Country is { } country && (country.Length != 2 || !country.All(char.IsAsciiLetterUpper)))
        {
            errors.Add(new FieldError(prefix + "country", "must be an ISO 3166-1 alpha-2 code such as DE"));
        }

        if (contact.CreatedAt is { } createdAt && (createdAt.Year < 1900 || createdAt > clock.GetUtcNow().AddDays(1)))
        {
            errors.Add(new FieldError(prefix + "createdAt", "must lie between 1900-01-01 and now"));
        }

        if (contact.UpdatedAt is { } updatedAt && (updatedAt.Year < 1900 || updatedAt > clock.GetUtcNow().AddDays(1)))
        {
            errors.Add(new FieldError(prefix + "updatedAt", "must lie between 1900-01-01 and now"));
        }

        if (contact.Attributes.Count > MaxAttributes)
        {
            errors.Add(new FieldError(prefix + "attributes", $"must have at most {MaxAttributes} entries"));
            return;
        }

        foreach (var (key, value) in contact.Attributes)
        {
            if (key.Length is 0 or > MaxAttributeKeyLength || key.Any(char.IsControl))
            {
                errors.Add(new FieldError(prefix + "attributes", $"keys must be 1 to {MaxAttributeKeyLength} printable characters"));
            }
            else if (value.Length > MaxAttributeValueLength || value.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
            {
                errors.Add(new FieldError($"{prefix}attributes.{key}", $"must be at most {MaxAttributeValueLength} characters without control characters"));
            }
        }

        // Within the limits above, characters outside the Basic Multilingual Plane are escaped when stored (12
        // characters each) and can overflow a Table property: refuse that here, naming the field.
        if (EntityMapper.StoredLength(EntityMapper.AttributesJson(contact.Attributes)) is var length and > EntityMapper.MaxStoredJsonChars)
        {
            errors.Add(new FieldError(prefix + "attributes", $"take {length} characters when stored, more than the {EntityMapper.MaxStoredJsonChars} a contact holds; send fewer or shorter attributes"));
        }
    }

    private static void CheckName(string? name, string field, List<FieldError> errors)
    {
        if (name is not null && (name.Length > MaxNameLength || name.Any(char.IsControl)))
        {
            errors.Add(new FieldError(field, $"must be at most {MaxNameLength} characters without control characters"));
        }
    }

    private static bool LooksLikeEmail(string email)
    {
        var at = email.IndexOf('@', StringComparison.Ordinal);
        return email.Length <= MaxEmailLength
            && at > 0
            && at == email.LastIndexOf('@')
            && at < email.Length - 1
            && email.AsSpan(at + 1).Contains('.')
            && !email.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));
    }
}
