using System.Globalization;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Validation;

namespace Crm.Serverless.Core.Import;

/// <summary>
/// A CSV file that cannot be used as a whole: missing, unreadable, not text, or a header without a required column.
/// The message says what was found and what to do; the CLI prints it and exits 1.
/// </summary>
public sealed class CsvFormatException(string message) : Exception(message);

/// <param name="DecimalComma">Amounts are written <c>12,50</c> (many European exports) instead of <c>12.50</c>.</param>
public sealed record CsvReadOptions(bool DecimalComma = false)
{
    public static readonly CsvReadOptions Default = new();
}

/// <summary>
/// Reads a shop export line by line into the same parsed items the HTTP and queue doors produce; the item's
/// index is its line number (the header is line 1), so a rejected row can be found in the file.
/// Transactions: <c>transactionId,customerId,timestamp,amount,currency[,quantity,amountInReportingCurrency,kind,refersTo,discountAmount,couponCode,campaignId]</c>;
/// timestamps may be bare dates; a cancel's amount and currency may be empty.
/// Contacts: <c>customerId[,email,firstName,lastName,country,createdAt,marketingConsent,updatedAt]</c>: the columns
/// in the header are the fields the file sets (an empty cell clears the field), the others are left alone.
/// The delimiter (comma, semicolon or tab) is taken from the header.
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
    public static readonly string[] LineColumns = ["transactionId", "customerId", "sku", "quantity", "unitPrice"];

    // Every column a kind reads; the parsers below address them by position in these arrays.
    private static readonly string[] TransactionFields = [.. TransactionColumns, "quantity", "amountInReportingCurrency", "kind", "refersTo", "discountAmount", "couponCode", "campaignId"];
    private static readonly string[] LineFields = [.. LineColumns, "category", "unitCost"];
    private static readonly string[] ContactFields = ["customerId", "email", "firstName", "lastName", "country", "createdAt", "marketingConsent", "updatedAt"];

    private static readonly IReadOnlyList<FieldError> NoErrors = [];

    private static readonly NumberFormatInfo CommaDecimals = new() { NumberDecimalSeparator = ",", NumberGroupSeparator = "\u00A0" };

    /// <summary>Large enough that handing a chunk to another thread costs little per line, small enough to bound memory.</summary>
    private const int ChunkLines = 4096;

    /// <summary>Opens an export for reading; a missing, unreadable or non-text file is a <see cref="CsvFormatException"/> naming it.</summary>
    public static StreamReader OpenFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw new CsvFormatException($"{path} is a directory; give the path of a CSV file.");
        }

        if (!File.Exists(path))
        {
            throw new CsvFormatException($"No such file: {path}");
        }

        try
        {
            return new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, new FileStreamOptions { BufferSize = 1 << 16 });
        }
        catch (Exception exception) when (exception is UnauthorizedAccessException or IOException)
        {
            throw new CsvFormatException($"Cannot read {path}: {exception.Message}");
        }
    }

    public IEnumerable<ParsedItem<Transaction>> ReadTransactions(TextReader reader, CsvReadOptions? options = null)
        => Read(reader, TransactionColumns, TransactionFields, options ?? CsvReadOptions.Default, ReadTransaction);

    public IEnumerable<ParsedItem<Contact>> ReadContacts(TextReader reader, CsvReadOptions? options = null)
        => Read(reader, ContactColumns, ContactFields, options ?? CsvReadOptions.Default, ReadContact);

    /// <summary>A lines file: one row per line item, <c>transactionId,customerId,sku,quantity,unitPrice[,category,unitCost]</c>.</summary>
    public static IEnumerable<ParsedItem<LineRow>> ReadLineItems(TextReader reader, CsvReadOptions? options = null)
        => Read(reader, LineColumns, LineFields, options ?? CsvReadOptions.Default, ReadLineItem);

    private static IEnumerable<ParsedItem<T>> Read<T>(TextReader reader, string[] required, string[] fields, CsvReadOptions options, Func<RowContext, int, ParsedItem<T>> read)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(reader);
        var header = ReadHeader(reader);
        var delimiter = CsvLine.DetectDelimiter(header);
        var names = CsvLine.SplitHeader(header, delimiter);
        var missing = required.Where(name => !names.Contains(name, StringComparer.OrdinalIgnoreCase)).ToList();
        if (missing.Count > 0)
        {
            var optional = fields.Except(required).ToList();
            throw new CsvFormatException(
                $"The header lacks the column(s) {string.Join(", ", missing)}; found {string.Join(", ", names.Select(name => name.Length == 0 ? "(empty)" : name))}. " +
                $"Expected {string.Join(",", required)}" + (optional.Count > 0 ? $"[,{string.Join(",", optional)}]" : "") +
                " (names in any order, comma, semicolon or tab separated).");
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
                inFlight.Enqueue(Task.Run(() => ParseChunk(lines, new RowContext(columns, delimiter, options), read)));
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

    private static string ReadHeader(TextReader reader)
    {
        var header = reader.ReadLine() ?? throw new CsvFormatException("The file is empty; expected a header line.");

        // A spreadsheet (.xlsx is a zip) or other binary file read as text: say so rather than "lacks columns".
        if (header.Contains('\0', StringComparison.Ordinal))
        {
            throw new CsvFormatException("The file is not a text CSV file (it contains binary data, e.g. a spreadsheet); export it as CSV (UTF-8) and try again.");
        }

        return header;
    }

    private static ParsedItem<T>[] ParseChunk<T>(List<(string Text, int Number)> lines, RowContext context, Func<RowContext, int, ParsedItem<T>> read)
        where T : class
    {
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
    private sealed class RowContext(int[] columns, char delimiter, CsvReadOptions options)
    {
        private string _customerId = "";
        private string _currency = "";
        private IReadOnlySet<string>? _contactFields;

        public CsvLine Line { get; } = new(delimiter);

        public bool DecimalComma => options.DecimalComma;

        /// <summary>
        /// The contact fields this file sets: the same for every row, so built once. Columns 1-6 are the contact
        /// fields in <see cref="ContactField.All"/> order; attributes have no column and are left alone.
        /// </summary>
        public IReadOnlySet<string> ContactFields => _contactFields ??=
            Enumerable.Range(1, 6).Where(column => columns[column] >= 0).Select(i => ContactField.All[i - 1]).ToHashSet(StringComparer.Ordinal);

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
        if (!row[7].IsEmpty && !TransactionKinds.TryParse(row[7], out kind))
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
        else if (!TryParseAmount(row, 3, out amount))
        {
            Add(ref errors, AmountError("amount", row, 3));
        }

        var currency = row.Currency(4) ?? (isCancel ? "" : Missing("currency", ref errors));
        decimal? inReportingCurrency = null;
        if (!row[6].IsEmpty)
        {
            if (TryParseAmount(row, 6, out var converted))
            {
                inReportingCurrency = converted;
            }
            else
            {
                Add(ref errors, AmountError("amountInReportingCurrency", row, 6));
            }
        }

        decimal? discount = null;
        if (!row[9].IsEmpty)
        {
            if (TryParseAmount(row, 9, out var parsed))
            {
                discount = parsed;
            }
            else
            {
                Add(ref errors, AmountError("discountAmount", row, 9));
            }
        }

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

        var transaction = new Transaction(transactionId!, customerId!, timestamp, amount, currency!, quantity, [], inReportingCurrency, kind, row.String(8), discount, row.String(10), row.String(11));
        row.Scratch.Clear();
        transactionRules.Validate(transaction, "", row.Scratch);
        return Result(line, transaction, customerId, transactionId, row.Scratch);
    }

    private static ParsedItem<LineRow> ReadLineItem(RowContext row, int line)
    {
        List<FieldError>? errors = null;
        var transactionId = row.String(0) ?? Missing("transactionId", ref errors);
        var customerId = row.CustomerId(1) ?? Missing("customerId", ref errors);
        var sku = row.String(2) ?? Missing("sku", ref errors);
        var quantity = 0;
        if (row[3].IsEmpty)
        {
            Missing("quantity", ref errors);
        }
        else if (!int.TryParse(row[3], NumberStyles.None, CultureInfo.InvariantCulture, out quantity))
        {
            Add(ref errors, new FieldError("quantity", "must be a whole number"));
        }

        decimal price = 0;
        if (row[4].IsEmpty)
        {
            Missing("unitPrice", ref errors);
        }
        else if (!TryParseAmount(row, 4, out price))
        {
            Add(ref errors, AmountError("unitPrice", row, 4));
        }

        decimal? cost = null;
        if (!row[6].IsEmpty)
        {
            if (TryParseAmount(row, 6, out var parsed))
            {
                cost = parsed;
            }
            else
            {
                Add(ref errors, AmountError("unitCost", row, 6));
            }
        }

        if (errors is not null)
        {
            return new ParsedItem<LineRow>(line, null, customerId, transactionId, errors);
        }

        var item = new LineItem(sku!, quantity, price, row.String(5), cost);
        row.Scratch.Clear();
        TransactionRules.CheckId(transactionId!, "transactionId", isCustomerId: false, "", row.Scratch);
        TransactionRules.CheckId(customerId!, "customerId", isCustomerId: true, "", row.Scratch);
        TransactionRules.CheckLine(item, "", row.Scratch);

        // The file names the price per unit "unitPrice"; the rules call it "price" as in JSON.
        for (var i = 0; i < row.Scratch.Count; i++)
        {
            if (row.Scratch[i].Field == "price")
            {
                row.Scratch[i] = row.Scratch[i] with { Field = "unitPrice" };
            }
        }

        return Result(line, new LineRow(transactionId!, customerId!, item), customerId, transactionId, row.Scratch);
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

        var contact = new Contact(customerId!, row.String(1), row.String(2), row.String(3), row.String(4), createdAt, consent, new Dictionary<string, string>(), updatedAt, row.ContactFields);
        row.Scratch.Clear();
        contactRules.Validate(contact, "", row.Scratch);
        return Result(line, contact, customerId, customerId, row.Scratch);
    }

    private static bool TryParseAmount(RowContext row, int field, out decimal amount)
        => decimal.TryParse(row[field], NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, row.DecimalComma ? CommaDecimals : CultureInfo.InvariantCulture, out amount);

    /// <summary>The same text for every row with the same mistake, so an import's summary counts them as one reason.</summary>
    private static FieldError AmountError(string field, RowContext row, int index)
    {
        var value = row[index];
        if (row.DecimalComma)
        {
            return new FieldError(field, "must be a decimal number with a decimal comma such as 12,50 (--decimal-comma is set)");
        }

        return value.Contains(',') && decimal.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CommaDecimals, out _)
            ? new FieldError(field, "uses a decimal comma (12,50); run again with --decimal-comma")
            : new FieldError(field, "must be a decimal number such as 12.50");
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
