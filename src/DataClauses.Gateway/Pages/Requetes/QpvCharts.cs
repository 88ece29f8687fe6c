using System.Globalization;
using DataClauses.Gateway.Queries;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Pages.Requetes;

/// <summary>One bar: a QPV and its value, or null when the cell is secret.</summary>
internal sealed record QpvBar(string Label, decimal? Value);

/// <summary>One chart: the bars of the QPV for one combination of the other columns.</summary>
internal sealed record QpvChart(string Title, string Measure, IReadOnlyList<QpvBar> Bars)
{
    public const int LabelWidth = 260;
    public const int BarArea = 400;
    public const int RowHeight = 28;

    public decimal Max => Bars.Max(b => b.Value ?? 0m);

    public int Height => (Bars.Count * RowHeight) + 10;

    /// <summary>The length of a bar, in SVG units (at least 1 so that a zero shows).</summary>
    public int Width(decimal value) => Max <= 0 ? 1 : Math.Max(1, (int)Math.Round(value / Max * BarArea, MidpointRounding.AwayFromZero));

    public static string Text(decimal value) => value.ToString(value == decimal.Truncate(value) ? "N0" : "N2", CultureInfo.GetCultureInfo("fr-FR"));
}

/// <summary>
/// The bar charts of an answer per QPV: one bar per QPV (totals left out), one chart per combination of the other
/// columns, on the first measure; at most <see cref="MaxCharts"/> charts so that the page stays readable.
/// </summary>
internal static class QpvCharts
{
    public const int MaxCharts = 6;

    public static IReadOnlyList<QpvChart> Of(Slice slice, Func<string, string> columnLabel, Func<string, string, string> label)
    {
        ArgumentNullException.ThrowIfNull(slice);
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(columnLabel);
        var qpv = slice.Columns.ToList().FindIndex(c => c.Level == GeoLevel.Qpv);
        if (qpv < 0 || slice.Measures.Count == 0)
        {
            return [];
        }

        var others = Enumerable.Range(0, slice.Columns.Count).Where(i => i != qpv).ToArray();
        return [.. slice.Rows
            .Where(r => r.Codes[qpv] != QuerySlice.Total)
            .GroupBy(r => string.Join(" ; ", others.Select(i => $"{columnLabel(slice.Columns[i].Name)} : {label(slice.Columns[i].Name, r.Codes[i])}")), StringComparer.Ordinal)
            .Take(MaxCharts)
            .Select(g => new QpvChart(
                g.Key.Length == 0 ? "Par quartier prioritaire" : g.Key,
                slice.Measures[0].Name,
                [.. g.Select(r => new QpvBar(label(slice.Columns[qpv].Name, r.Codes[qpv]), r.Values[0]))]))];
    }
}
