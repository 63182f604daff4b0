namespace Crm.Serverless.Infra.Tests;

/// <summary>
/// Reads the small block-mapping subset of YAML that azure.yaml uses (nested "key: value" maps,
/// comments, quoted scalars). Sequences, anchors and flow style are rejected rather than misread.
/// </summary>
public static class SimpleYaml
{
    public static Dictionary<string, object> Parse(string text)
    {
        var root = new Dictionary<string, object>(StringComparer.Ordinal);
        var stack = new Stack<(int Indent, Dictionary<string, object> Map)>();
        stack.Push((-1, root));
        var lineNumber = 0;

        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = StripComment(rawLine.TrimEnd('\r'));
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var indent = line.Length - line.TrimStart(' ').Length;
            var content = line.Trim();
            if (content.StartsWith('-') || content.StartsWith('{') || content.StartsWith('['))
            {
                throw new FormatException($"Line {lineNumber}: unsupported YAML construct '{content}'.");
            }

            var colon = content.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new FormatException($"Line {lineNumber}: expected 'key: value', got '{content}'.");
            }

            while (stack.Peek().Indent >= indent)
            {
                stack.Pop();
            }

            var key = content[..colon].Trim();
            var value = content[(colon + 1)..].Trim();
            var parent = stack.Peek().Map;
            if (value.Length == 0)
            {
                var child = new Dictionary<string, object>(StringComparer.Ordinal);
                parent[key] = child;
                stack.Push((indent, child));
            }
            else
            {
                parent[key] = Unquote(value);
            }
        }

        return root;
    }

    public static Dictionary<string, object> Map(this Dictionary<string, object> map, string key) =>
        map.TryGetValue(key, out var value) && value is Dictionary<string, object> child
            ? child
            : throw new KeyNotFoundException($"'{key}' is not a mapping (keys: {string.Join(", ", map.Keys)}).");

    public static string Scalar(this Dictionary<string, object> map, string key) =>
        map.TryGetValue(key, out var value) && value is string scalar
            ? scalar
            : throw new KeyNotFoundException($"'{key}' is not a scalar (keys: {string.Join(", ", map.Keys)}).");

    private static string StripComment(string line)
    {
        var inSingle = false;
        var inDouble = false;
        for (var i = 0; i < line.Length; i++)
        {
            switch (line[i])
            {
                case '\'' when !inDouble:
                    inSingle = !inSingle;
                    break;
                case '"' when !inSingle:
                    inDouble = !inDouble;
                    break;
                case '#' when !inSingle && !inDouble && (i == 0 || char.IsWhiteSpace(line[i - 1])):
                    return line[..i];
            }
        }

        return line;
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0] ? value[1..^1] : value;
}
