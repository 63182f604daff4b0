using System.Text;

namespace Crm.Serverless.Core.Import;

/// <summary>Where one field lies in <see cref="CsvLine.Text"/>.</summary>
internal readonly record struct CsvField(int Start, int Length);

/// <summary>
/// One CSV line (RFC 4180 quoting; comma, semicolon or tab separated) split into field ranges rather than strings:
/// a bulk import reads millions of lines and most fields are parsed into numbers and dates, so allocating a string
/// per field would be most of the work. Quoted fields may not span lines.
/// </summary>
internal sealed class CsvLine(char delimiter = ',')
{
    /// <summary>What spreadsheet exports use: comma, or semicolon (and tab) where the comma is the decimal mark.</summary>
    public static readonly char[] Delimiters = [',', ';', '\t'];

    private readonly List<CsvField> _fields = [];
    private readonly StringBuilder _unquoted = new();

    /// <summary>The line itself, or its unquoted copy when it had quotes; fields index into this.</summary>
    public string Text { get; private set; } = "";

    public int Count => _fields.Count;

    /// <summary>Field <paramref name="index"/>, empty when the line has fewer fields.</summary>
    public ReadOnlySpan<char> this[int index]
        => index >= 0 && index < _fields.Count ? Text.AsSpan(_fields[index].Start, _fields[index].Length) : [];

    public string String(int index) => this[index].ToString();

    /// <returns>False when a quoted field is not closed on this line.</returns>
    public bool TrySplit(string line)
    {
        _fields.Clear();
        if (!line.Contains('"', StringComparison.Ordinal))
        {
            Text = line;
            var start = 0;
            int comma;
            while ((comma = line.IndexOf(delimiter, start)) >= 0)
            {
                _fields.Add(new CsvField(start, comma - start));
                start = comma + 1;
            }

            _fields.Add(new CsvField(start, line.Length - start));
            return true;
        }

        // Rare: unquote into one buffer and point the fields into it.
        var text = _unquoted.Clear();
        var fieldStart = 0;
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    text.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    text.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == delimiter)
            {
                _fields.Add(new CsvField(fieldStart, text.Length - fieldStart));
                fieldStart = text.Length;
            }
            else
            {
                text.Append(c);
            }
        }

        _fields.Add(new CsvField(fieldStart, text.Length - fieldStart));
        Text = text.ToString();
        return !quoted;
    }

    /// <summary>The header's delimiter: the one of <see cref="Delimiters"/> it uses most (a comma when it has none).</summary>
    public static char DetectDelimiter(string header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var best = ',';
        var bestCount = 0;
        foreach (var candidate in Delimiters)
        {
            var count = header.AsSpan().Count(candidate);
            if (count > bestCount)
            {
                best = candidate;
                bestCount = count;
            }
        }

        return best;
    }

    /// <summary>The header's names, trimmed and without a byte-order mark.</summary>
    public static List<string> SplitHeader(string header, char delimiter = ',')
    {
        var line = new CsvLine(delimiter);
        line.TrySplit(header.TrimStart('\uFEFF'));
        var names = new List<string>(line.Count);
        for (var i = 0; i < line.Count; i++)
        {
            names.Add(line[i].Trim().ToString());
        }

        return names;
    }
}
