using System.Globalization;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Validation;

namespace Crm.Serverless.Core.Import;

/// <summary>A CSV file whose header lacks a required column, or that cannot be read at all.</summary>
public sealed class CsvFormatException(string message) : Exception(message);

/// <summary>
/// Reads a shop export line by line into the same parsed items the HTTP and queue doors produce; the item's
/// index is its line number (the header is line 1), so a rejected row can be found in the file.
/// Transactions: <c>transactionId,customerId,timestamp,amount,currency[,quantity]</c>; timestamps may be bare dates.
/// Contacts: <c>customerId[,email,firstName,lastName,country,createdAt,marketingConsent]</c>.
/// </summary>
public sealed class CsvItemReader(TransactionRules transactionRules, ContactRules contactRules)
{
    public static readonly string[] TransactionColumns = ["transactionId", "customerId", "timestamp", "amount", "currency"];
    public static readonly string[] ContactColumns = ["customerId"];

    public IEnumerable<ParsedItem<Transaction>> ReadTransactions(TextReader reader)
        => Read(reader, TransactionColumns, ReadTransaction);

    public IEnumerable<ParsedItem<Contact>> ReadContacts(TextReader reader)
        => Read(reader, ContactColumns, ReadContact);

    private static IEnumerable<ParsedItem<T>> Read<T>(TextReader reader, string[] required, Func<Row, int, ParsedItem<T>> read)
        where T : class
    {
        var header = reader.ReadLine() ?? throw new CsvFormatException("The file is empty; expected a header line.");
        var names = new List<string>();
        CsvLine.TrySplit(header.TrimStart('\uFEFF'), names);
        var columns = names.Select((name, i) => (name: name.Trim(), i)).DistinctBy(c => c.name, StringComparer.OrdinalIgnoreCase).ToDictionary(c => c.name, c => c.i, StringComparer.OrdinalIgnoreCase);
        var missing = required.Where(name => !columns.ContainsKey(name)).ToList();
        if (missing.Count > 0)
        {
            throw new CsvFormatException($"The header lacks the column(s) {string.Join(", ", missing)}; expected {string.Join(",", required)}.");
        }

        var fields = new List<string>();
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            if (!CsvLine.TrySplit(line, fields))
            {
                yield return new ParsedItem<T>(lineNumber, null, null, null, [new FieldError("line", "has an unterminated quoted field")]);
                continue;
            }

            yield return read(new Row(columns, fields), lineNumber);
        }
    }

    private readonly record struct Row(Dictionary<string, int> Columns, List<string> Fields)
    {
        public string? this[string name]
            => Columns.TryGetValue(name, out var i) && i < Fields.Count && Fields[i].Length > 0 ? Fields[i] : null;
    }

    private ParsedItem<Transaction> ReadTransaction(Row row, int line)
    {
        var errors = new List<FieldError>();
        var transactionId = Required(row, "transactionId", errors);
        var customerId = Required(row, "customerId", errors);
        DateTimeOffset? timestamp = null;
        if (Required(row, "timestamp", errors) is { } text)
        {
            if (TimestampFormat.TryParseDateOrTimestamp(text, out var parsed))
            {
                timestamp = parsed;
            }
            else
            {
                errors.Add(new FieldError("timestamp", "must be a date (YYYY-MM-DD) or " + TimestampFormat.Expected));
            }
        }

        decimal? amount = null;
        if (Required(row, "amount", errors) is { } amountText)
        {
            if (decimal.TryParse(amountText, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed))
            {
                amount = parsed;
            }
            else
            {
                errors.Add(new FieldError("amount", "must be a decimal number such as 12.50"));
            }
        }

        var currency = Required(row, "currency", errors);
        int? quantity = null;
        if (row["quantity"] is { } quantityText)
        {
            if (int.TryParse(quantityText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                quantity = parsed;
            }
            else
            {
                errors.Add(new FieldError("quantity", "must be a whole number"));
            }
        }

        if (errors.Count > 0)
        {
            return new ParsedItem<Transaction>(line, null, customerId, transactionId, errors);
        }

        var transaction = new Transaction(transactionId!, customerId!, timestamp!.Value, amount!.Value, currency!, quantity, []);
        transactionRules.Validate(transaction, "", errors);
        return new ParsedItem<Transaction>(line, errors.Count == 0 ? transaction : null, customerId, transactionId, errors);
    }

    private ParsedItem<Contact> ReadContact(Row row, int line)
    {
        var errors = new List<FieldError>();
        var customerId = Required(row, "customerId", errors);
        DateTimeOffset? createdAt = null;
        if (row["createdAt"] is { } createdText)
        {
            if (TimestampFormat.TryParseDateOrTimestamp(createdText, out var parsed))
            {
                createdAt = parsed;
            }
            else
            {
                errors.Add(new FieldError("createdAt", "must be a date (YYYY-MM-DD) or " + TimestampFormat.Expected));
            }
        }

        bool? consent = null;
        if (row["marketingConsent"] is { } consentText)
        {
            if (bool.TryParse(consentText, out var parsed))
            {
                consent = parsed;
            }
            else
            {
                errors.Add(new FieldError("marketingConsent", "must be true or false"));
            }
        }

        if (errors.Count > 0)
        {
            return new ParsedItem<Contact>(line, null, customerId, customerId, errors);
        }

        var contact = new Contact(customerId!, row["email"], row["firstName"], row["lastName"], row["country"], createdAt, consent, new Dictionary<string, string>());
        contactRules.Validate(contact, "", errors);
        return new ParsedItem<Contact>(line, errors.Count == 0 ? contact : null, customerId, customerId, errors);
    }

    private static string? Required(Row row, string name, List<FieldError> errors)
    {
        var value = row[name];
        if (value is null)
        {
            errors.Add(new FieldError(name, "is required"));
        }

        return value;
    }
}
