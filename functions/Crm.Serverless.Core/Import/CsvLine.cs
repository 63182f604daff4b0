using System.Text;

namespace Crm.Serverless.Core.Import;

/// <summary>Splits one CSV line (RFC 4180 quoting, comma separated). Quoted fields may not span lines.</summary>
internal static class CsvLine
{
    public static bool TrySplit(string line, List<string> fields)
    {
        fields.Clear();
        if (!line.Contains('"', StringComparison.Ordinal))
        {
            fields.AddRange(line.Split(','));
            return true;
        }

        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return !quoted;
    }
}
