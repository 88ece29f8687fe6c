using System.Globalization;
using System.Runtime.CompilerServices;

namespace DataClauses.Gateway.Catalog.Csv;

/// <summary>
/// The header line mapped onto the schema: every schema field is one column (any order, names compared without
/// case and surrounding spaces), no other column (fail closed: an unknown column might carry personal data). A
/// trailing separator (an empty last name) is tolerated, as spreadsheets write it.
/// </summary>
internal sealed class CsvHeader
{
    private CsvHeader(string[] names, int[] fieldOfColumn)
    {
        Names = names;
        FieldOfColumn = fieldOfColumn;
    }

    /// <summary>The column names as read (normalised), in file order.</summary>
    public string[] Names { get; }

    /// <summary>For each column, the index of its schema field (the table column).</summary>
    public int[] FieldOfColumn { get; }

    /// <summary>Number of named columns.</summary>
    public int Count => Names.Length;

    /// <summary>The name of a 1-based column, or null outside the header.</summary>
    public string? NameOf(int column) => column >= 1 && column <= Names.Length ? Names[column - 1] : null;

    /// <summary>Maps the current record of <paramref name="reader"/> (the header); null with errors reported when it does not fit.</summary>
    public static CsvHeader? Map(CsvReader reader, DatasetSchema schema, CsvErrorCollector errors)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(errors);
        var line = reader.RecordLine;
        var count = reader.FieldCount;
        var names = new string[count];
        for (var i = 0; i < count; i++)
        {
            names[i] = reader.GetString(i).Trim().ToLowerInvariant();
        }

        if (count > 1 && names[count - 1].Length == 0)
        {
            count--;
            names = names[..count];
        }

        var fieldOfColumn = new int[count];
        var mapped = new bool[schema.Fields.Count];
        var ok = true;
        for (var i = 0; i < count; i++)
        {
            var column = i + 1;
            var name = names[i];
            var index = IndexOf(schema, name);
            if (name.Length == 0)
            {
                ok = false;
                errors.Report(CsvErrorClass.Header, new CsvError(line, column, null, "empty-column-name", $"Column {column.ToString(CultureInfo.InvariantCulture)} of the header has no name."));
            }
            else if (index < 0)
            {
                ok = false;
                errors.Report(CsvErrorClass.Header, new CsvError(line, column, name, "unknown-column", $"Column '{Shorten(name)}' is not in the dataset's schema (expected: {string.Join(", ", schema.Fields.Select(f => f.Name))})."));
            }
            else if (mapped[index])
            {
                ok = false;
                errors.Report(CsvErrorClass.Header, new CsvError(line, column, name, "duplicate-column", $"Column '{name}' appears more than once."));
            }
            else
            {
                mapped[index] = true;
                fieldOfColumn[i] = index;
            }
        }

        for (var f = 0; f < mapped.Length; f++)
        {
            if (!mapped[f])
            {
                ok = false;
                var field = schema.Fields[f];
                errors.Report(CsvErrorClass.Header, new CsvError(line, null, field.Name, "missing-column", $"The header has no column '{field.Name}' (role {DatasetSchema.ToWire(field.Role)} in the schema)."));
            }
        }

        return ok ? new CsvHeader(names, fieldOfColumn) : null;
    }

    /// <summary>Whether a record has the header's number of fields (one more, empty, for a trailing separator).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool FitsFieldCount(CsvReader reader) =>
        reader.FieldCount == Count || (reader.FieldCount == Count + 1 && reader[Count].IsEmpty);

    /// <summary>Whether every field of a record is empty or blank (spreadsheets write such rows as <c>;;;;</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool IsBlank(CsvReader reader)
    {
        for (var i = 0; i < reader.FieldCount; i++)
        {
            if (!FieldParsers.Trim(reader[i]).IsEmpty)
            {
                return false;
            }
        }

        return true;
    }

    private static int IndexOf(DatasetSchema schema, string name)
    {
        for (var i = 0; i < schema.Fields.Count; i++)
        {
            if (string.Equals(schema.Fields[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
