using System.Text;

namespace NativeEngine.Cli;

/// <summary>A plain-text table with left-aligned text columns and right-aligned numeric ones.</summary>
public sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> rows = [];

    /// <summary>Adds a row (one cell per header).</summary>
    public void Add(params string[] cells)
    {
        if (cells.Length != headers.Length) throw new ArgumentException($"row has {cells.Length} cells, table has {headers.Length} columns");
        rows.Add(cells);
    }

    /// <summary>Number of rows added.</summary>
    public int Count => rows.Count;

    /// <inheritdoc/>
    public override string ToString()
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        var numeric = headers.Select((_, i) => rows.Count > 0 && rows.All(r => r[i].Length == 0 || double.TryParse(r[i].TrimEnd('%', 'x'), out double _) || r[i] == "-")).ToArray();
        var sb = new StringBuilder();
        void Line(string[] cells)
        {
            for (int i = 0; i < cells.Length; i++)
            {
                if (i > 0) sb.Append("  ");
                bool last = i == cells.Length - 1;
                sb.Append(numeric[i] ? cells[i].PadLeft(widths[i]) : last ? cells[i] : cells[i].PadRight(widths[i]));
            }
            sb.AppendLine();
        }
        Line(headers);
        Line(widths.Select(w => new string('-', w)).ToArray());
        foreach (var r in rows) Line(r);
        return sb.ToString();
    }
}
