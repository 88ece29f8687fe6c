using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DataClauses.Disclosure;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Json;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Queries;

/// <summary>
/// A permitted query's answer: the request, the decision and the cells of the slice. Every secret cell carries the same
/// status, <c>secret</c>, whatever made it secret (ADR 0006): the reason is written only when
/// <see cref="WithReasons"/> is set, which the endpoint allows to the provider's own stewards and DPO.
/// </summary>
/// <param name="Request">The decision request (dimensions, measures, filters as asked).</param>
/// <param name="Decision">The permit decision.</param>
/// <param name="Opened">The version and protected cube.</param>
/// <param name="Slice">The cells returned.</param>
/// <param name="CorrelationId">The request's correlation id.</param>
internal sealed record QueryAnswer(DecisionRequest Request, Decision Decision, OpenedCube Opened, Slice Slice, string CorrelationId)
{
    /// <summary>The one status of every secret cell, whether it is sensitive itself or suppressed to protect another.</summary>
    public const string Secret = "secret";

    /// <summary>
    /// True when the answer also says why each secret cell is secret (<c>primary</c> or <c>secondary</c>): for the
    /// dataset provider's stewards and DPO only, never for a recipient.
    /// </summary>
    public bool WithReasons { get; init; }

    /// <summary>The status member of a JSON cell: <c>status</c>, or <c>cellStatus</c> when a dimension or measure has that name.</summary>
    public string JsonStatusName => StatusColumn("status", "cellStatus");

    /// <summary>The status column of the CSV: <c>statut</c>, or <c>statut_cellule</c> when a dimension (e.g. a dwelling's) has that name.</summary>
    public string CsvStatusName => StatusColumn("statut", "statut_cellule");

    /// <summary>The reason member of a JSON cell (with reasons only): <c>reason</c>, or <c>cellReason</c>.</summary>
    public string JsonReasonName => StatusColumn("reason", "cellReason");

    /// <summary>The reason column of the CSV (with reasons only): <c>motif</c>, or <c>motif_cellule</c>.</summary>
    public string CsvReasonName => StatusColumn("motif", "motif_cellule");

    private string StatusColumn(string name, string fallback) =>
        Slice.Columns.Any(c => c.Name == name) || Slice.Measures.Any(m => m.Name == name) ? fallback : name;

    /// <summary>
    /// The wire name of a cell status as a recipient sees it: <c>published</c>, <c>rounded</c>, or <c>secret</c> for
    /// every suppressed cell — telling primary from secondary would let an analyst who knows the threshold bound a
    /// primary to [1, k−1] and a secondary to 0 or ≥ k, enough to recompute cells (ADR 0006).
    /// </summary>
    public static string StatusName(CellStatus status) => status switch
    {
        CellStatus.Published => "published",
        CellStatus.Rounded => "rounded",
        _ => Secret,
    };

    /// <summary>Why a cell is secret, for the provider's stewards and DPO: <c>primary</c>, <c>secondary</c>, or null when published.</summary>
    public static string? ReasonName(CellStatus status) => status switch
    {
        CellStatus.SuppressedPrimary => "primary",
        CellStatus.SuppressedSecondary => "secondary",
        _ => null,
    };

    /// <summary>The structured form (<c>application/json</c>).</summary>
    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        WriteJson(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The structured form written to <paramref name="output"/> (the response body, without an intermediate copy).</summary>
    public void WriteJson(IBufferWriter<byte> output)
    {
        using (var w = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            var cube = Opened.Cube;
            w.WriteStartObject();
            w.WriteString("dataset", Request.Dataset);
            w.WriteString("version", Opened.Version.Version);
            w.WriteString("contract", Decision.Contract!.Id);
            w.WriteString("clause", Decision.Clause!.Id);
            w.WriteNumber("amendment", Decision.Clause.Amendment);
            w.WriteString("purpose", Request.Purpose);
            WriteDecision(w, Decision);
            w.WritePropertyName("obligations");
            DecisionJson.WriteObligations(w, Decision.Obligations!, Decision.RetentionDeadline);
            w.WriteStartArray("dimensions");
            foreach (var column in Slice.Columns)
            {
                w.WriteStringValue(column.Name);
            }

            w.WriteEndArray();
            w.WriteStartArray("measures");
            foreach (var measure in Slice.Measures)
            {
                w.WriteStringValue(measure.Name);
            }

            w.WriteEndArray();
            w.WriteStartObject("filters");
            foreach (var filter in Request.Filters)
            {
                w.WriteStartArray(filter.Dimension);
                foreach (var value in filter.Values)
                {
                    w.WriteStringValue(value);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
            w.WriteStartObject("cube");
            w.WriteString("fingerprint", cube.Key.Fingerprint);
            w.WriteString("builtAt", cube.BuiltAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            w.WriteNumber("cells", cube.CellCount);
            w.WriteEndObject();
            w.WriteStartArray("cells");
            var status = JsonStatusName;
            var reason = WithReasons ? JsonReasonName : null;
            foreach (var row in Slice.Rows)
            {
                w.WriteStartObject();
                for (var c = 0; c < Slice.Columns.Count; c++)
                {
                    w.WriteString(Slice.Columns[c].Name, row.Codes[c]);
                }

                for (var m = 0; m < Slice.Measures.Count; m++)
                {
                    if (row.Values[m] is { } value)
                    {
                        w.WriteNumber(Slice.Measures[m].Name, value);
                    }
                    else
                    {
                        w.WriteNull(Slice.Measures[m].Name);
                    }
                }

                w.WriteString(status, StatusName(row.Status));
                if (reason is not null)
                {
                    w.WriteString(reason, ReasonName(row.Status));
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("cellsReturned", Slice.Rows.Count);
            w.WriteNumber("cellsSuppressed", Slice.SuppressedCount);
            if (WithReasons)
            {
                w.WriteStartObject("cellsSuppressedByReason");
                w.WriteNumber("primary", Slice.Rows.Count(r => r.Status == CellStatus.SuppressedPrimary));
                w.WriteNumber("secondary", Slice.Rows.Count(r => r.Status == CellStatus.SuppressedSecondary));
                w.WriteEndObject();
            }

            w.WriteString("correlationId", CorrelationId);
            w.WriteEndObject();
        }
    }

    /// <summary>
    /// The French-friendly CSV (<c>text/csv</c>): UTF-8 with a byte order mark, <c>;</c> between fields, CRLF line
    /// ends, decimal comma, <c>s</c> for a secret value, a <c>statut</c> column (<c>secret</c> for every secret cell),
    /// and with reasons a last <c>motif</c> column; rows in the slice's stable order.
    /// </summary>
    public byte[] ToCsv()
    {
        var csv = new StringBuilder();
        var header = Slice.Columns.Select(c => c.Name).Concat(Slice.Measures.Select(m => m.Name)).Append(CsvStatusName);
        if (WithReasons)
        {
            header = header.Append(CsvReasonName);
        }

        csv.AppendJoin(';', header.Select(Escape)).Append("\r\n");
        foreach (var row in Slice.Rows)
        {
            csv.AppendJoin(';', row.Codes.Select(Escape));
            for (var m = 0; m < Slice.Measures.Count; m++)
            {
                csv.Append(';').Append(Format(row.Values[m], Slice.Measures[m].Kind));
            }

            csv.Append(';').Append(StatusName(row.Status));
            if (WithReasons)
            {
                csv.Append(';').Append(ReasonName(row.Status));
            }

            csv.Append("\r\n");
        }

        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(csv.ToString())];
    }

    /// <summary>A value as French spreadsheets read it: <c>s</c> when secret, integers as is, amounts with a decimal comma.</summary>
    public static string Format(decimal? value, MeasureKind kind) => value switch
    {
        null => "s",
        { } v when kind == MeasureKind.Count => v.ToString("0", CultureInfo.InvariantCulture),
        { } v => v.ToString("0.00", CultureInfo.InvariantCulture).Replace('.', ','),
    };

    /// <summary>Writes <c>decision: {effect, reasons}</c>.</summary>
    public static void WriteDecision(Utf8JsonWriter writer, Decision decision)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(decision);
        writer.WriteStartObject("decision");
        writer.WriteString("effect", decision.Effect.ToWire());
        writer.WriteStartArray("reasons");
        foreach (var reason in decision.Reasons)
        {
            DecisionJson.WriteReason(writer, reason);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static string Escape(string field) =>
        field.AsSpan().IndexOfAny(";\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;
}
