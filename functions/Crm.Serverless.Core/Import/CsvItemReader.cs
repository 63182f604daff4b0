using System.Globalization;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Validation;

namespace Crm.Serverless.Core.Import;

/// <summary>A CSV file whose header lacks a required column, or that cannot be read at all.</summary>
public sealed class CsvFormatException(string message) : Exception(message);

/// <summary>
/// Reads a shop export line by line into the same parsed items the HTTP and queue doors produce; the item's
/// index is its line number (the header is line 1), so a rejected row can be found in the file.
/// Transactions: <c>transactionId,customerId,timestamp,amount,currency[,quantity][,kind,refersTo]</c>; timestamps
/// may be bare dates; a cancel's amount and currency may be empty.
/// Contacts: <c>customerId[,email,firstName,lastName,country,createdAt,marketingConsent,updatedAt]</c>: the columns
/// in the header are the fields the file sets (an empty cell clears the field), the others are left alone.
/// </summary>
/// <remarks>
/// Exports run to millions of rows, so the hot path is lean: columns are resolved once per file, fields are spans
/// of the line, an error list exists only for a row that has errors, and chunks of lines are parsed on the other
/// cores while this thread reads the file and the caller consumes items, still in file order.
/// </remarks>
public sealed class CsvItemReader(TransactionRules transactionRules, ContactRules contactRules)
{
    public static readonly string[] TransactionColumns = ["transactionId", "customerId", "timestamp", "amount", "currency"];
    public static readonly string[] ContactColumns = ["customerId"];

    // Every column a kind reads; the parsers below address them by position in these arrays.
    private static readonly string[] TransactionFields = [.. TransactionColumns, "quantity", "kind", "refersTo"];
    private static readonly string[] ContactFields = ["customerId", "email", "firstName", "lastName", "country", "createdAt", "marketingConsent", "updatedAt"];

    private static readonly IReadOnlyList<FieldError> NoErrors = [];

    /// <summary>Large enough that handing a chunk to another thread costs little per line, small enough to bound memory.</summary>
    private const int ChunkLines = 4096;

    public IEnumerable<ParsedItem<Transaction>> ReadTransactions(TextReader reader)
        => Read(reader, TransactionColumns, TransactionFields, ReadTransaction);

    public IEnumerable<ParsedItem<Contact>> ReadContacts(TextReader reader)
        => Read(reader, ContactColumns, ContactFields, ReadContact);

    private static IEnumerable<ParsedItem<T>> Read<T>(TextReader reader, string[] required, string[] fields, Func<RowContext, int, ParsedItem<T>> read)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(reader);
        var header = reader.ReadLine() ?? throw new CsvFormatException("The file is empty; expected a header line.");
        var names = CsvLine.SplitHeader(header);
        var missing = required.Where(name => !names.Contains(name, StringComparer.OrdinalIgnoreCase)).ToList();
        if (missing.Count > 0)
        {
            throw new CsvFormatException($"The header lacks the column(s) {string.Join(", ", missing)}; expected {string.Join(",", required)}.");
        }

        // A repeated column name means its first occurrence, as before.
        var columns = fields.Select(field => names.FindIndex(name => string.Equals(name, field, StringComparison.OrdinalIgnoreCase))).ToArray();

        // Up to one chunk per core parses ahead of the one being consumed; the queue keeps file order.
        var inFlight = new Queue<Task<ParsedItem<T>[]>>();
        var lineNumber = 1;
        var ended = false;
        while (!ended)
        {
            var lines = new List<(string Text, int Number)>(ChunkLines);
            while (lines.Count < ChunkLines)
            {
                if (reader.ReadLine() is not { } line)
                {
                    ended = true;
                    break;
                }

                lineNumber++;
                if (line.Length > 0)
                {
                    lines.Add((line, lineNumber));
                }
            }

            if (lines.Count > 0)
            {
                inFlight.Enqueue(Task.Run(() => ParseChunk(lines, columns, read)));
            }

            while (inFlight.Count > (ended ? 0 : Environment.ProcessorCount))
            {
                foreach (var item in inFlight.Dequeue().GetAwaiter().GetResult())
                {
                    yield return item;
                }
            }
        }
    }

    private static ParsedItem<T>[] ParseChunk<T>(List<(string Text, int Number)> lines, int[] columns, Func<RowContext, int, ParsedItem<T>> read)
        where T : class
    {
        var context = new RowContext(columns);
        var items = new ParsedItem<T>[lines.Count];
        for (var i = 0; i < items.Length; i++)
        {
            var (text, number) = lines[i];
            items[i] = context.Line.TrySplit(text)
                ? read(context, number)
                : new ParsedItem<T>(number, null, null, null, [new FieldError("line", "has an unterminated quoted field")]);
        }

        return items;
    }

    /// <summary>One chunk's working state: the current line, and buffers reused from row to row.</summary>
    private sealed class RowContext(int[] columns)
    {
        private string _customerId = "";
        private string _currency = "";

        public CsvLine Line { get; } = new();

        /// <summary>Whether the file has the column at position <paramref name="field"/> of the kind's fields.</summary>
        public bool HasColumn(int field) => columns[field] >= 0;

        /// <summary>For the rules' findings; copied out only when a row has some.</summary>
        public List<FieldError> Scratch { get; } = [];

        /// <summary>The field at position <paramref name="field"/> of the kind's fields; empty when absent.</summary>
        public ReadOnlySpan<char> this[int field] => Line[columns[field]];

        public string? String(int field) => this[field] is { IsEmpty: false } value ? value.ToString() : null;

        /// <summary>Exports list a customer's rows together and use one currency: reuse the previous row's string.</summary>
        public string? CustomerId(int field) => Reuse(this[field], ref _customerId);

        public string? Currency(int field) => Reuse(this[field], ref _currency);

        private static string? Reuse(ReadOnlySpan<char> value, ref string last)
        {
            if (value.IsEmpty)
            {
                return null;
            }

            if (!value.SequenceEqual(last))
            {
                last = value.ToString();
            }

            return last;
        }
    }

    private ParsedItem<Transaction> ReadTransaction(RowContext row, int line)
    {
        List<FieldError>? errors = null;
        var transactionId = row.String(0) ?? Missing("transactionId", ref errors);
        var customerId = row.CustomerId(1) ?? Missing("customerId", ref errors);
        DateTimeOffset timestamp = default;
        if (row[2].IsEmpty)
        {
            Missing("timestamp", ref errors);
        }
        else if (!TimestampFormat.TryParseDateOrTimestamp(row[2], out timestamp))
        {
            Add(ref errors, new FieldError("timestamp", "must be a date (YYYY-MM-DD) or " + TimestampFormat.Expected));
        }

        var kind = TransactionKind.Purchase;
        if (!row[6].IsEmpty && !TransactionKinds.TryParse(row[6], out kind))
        {
            Add(ref errors, new FieldError("kind", TransactionKinds.Expected));
        }

        var isCancel = kind == TransactionKind.Cancel;
        decimal amount = 0;
        if (row[3].IsEmpty)
        {
            if (!isCancel)
            {
                Missing("amount", ref errors);
            }
        }
        else if (!decimal.TryParse(row[3], NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out amount))
        {
            Add(ref errors, new FieldError("amount", "must be a decimal number such as 12.50"));
        }

        var currency = row.Currency(4) ?? (isCancel ? transactionRules.ReportingCurrency : Missing("currency", ref errors));
        int? quantity = null;
        if (!row[5].IsEmpty)
        {
            if (int.TryParse(row[5], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                quantity = parsed;
            }
            else
            {
                Add(ref errors, new FieldError("quantity", "must be a whole number"));
            }
        }

        if (errors is not null)
        {
            return new ParsedItem<Transaction>(line, null, customerId, transactionId, errors);
        }

        var transaction = new Transaction(transactionId!, customerId!, timestamp, amount, currency!, quantity, [], kind, row.String(7));
        row.Scratch.Clear();
        transactionRules.Validate(transaction, "", row.Scratch);
        return Result(line, transaction, customerId, transactionId, row.Scratch);
    }

    private ParsedItem<Contact> ReadContact(RowContext row, int line)
    {
        List<FieldError>? errors = null;
        var customerId = row.String(0) ?? Missing("customerId", ref errors);
        DateTimeOffset? createdAt = null;
        if (!row[5].IsEmpty)
        {
            if (TimestampFormat.TryParseDateOrTimestamp(row[5], out var parsed))
            {
                createdAt = parsed;
            }
            else
            {
                Add(ref errors, new FieldError("createdAt", "must be a date (YYYY-MM-DD) or " + TimestampFormat.Expected));
            }
        }

        bool? consent = null;
        if (!row[6].IsEmpty)
        {
            if (bool.TryParse(row[6], out var parsed))
            {
                consent = parsed;
            }
            else
            {
                Add(ref errors, new FieldError("marketingConsent", "must be true or false"));
            }
        }

        DateTimeOffset? updatedAt = null;
        if (!row[7].IsEmpty)
        {
            if (TimestampFormat.TryParseDateOrTimestamp(row[7], out var parsed))
            {
                updatedAt = parsed;
            }
            else
            {
                Add(ref errors, new FieldError("updatedAt", "must be a date (YYYY-MM-DD) or " + TimestampFormat.Expected));
            }
        }

        if (errors is not null)
        {
            return new ParsedItem<Contact>(line, null, customerId, customerId, errors);
        }

        // Columns 1-6 are the contact fields in ContactField.All order; attributes have no column and are left alone.
        var fields = Enumerable.Range(1, 6).Where(row.HasColumn).Select(i => ContactField.All[i - 1]).ToHashSet(StringComparer.Ordinal);
        var contact = new Contact(customerId!, row.String(1), row.String(2), row.String(3), row.String(4), createdAt, consent, new Dictionary<string, string>(), updatedAt, fields);
        row.Scratch.Clear();
        contactRules.Validate(contact, "", row.Scratch);
        return Result(line, contact, customerId, customerId, row.Scratch);
    }

    private static ParsedItem<T> Result<T>(int line, T value, string? customerId, string? id, List<FieldError> scratch)
        where T : class
        => scratch.Count == 0
            ? new ParsedItem<T>(line, value, customerId, id, NoErrors)
            : new ParsedItem<T>(line, null, customerId, id, [.. scratch]);

    private static string? Missing(string field, ref List<FieldError>? errors)
    {
        Add(ref errors, new FieldError(field, "is required"));
        return null;
    }

    private static void Add(ref List<FieldError>? errors, FieldError error) => (errors ??= []).Add(error);
}
