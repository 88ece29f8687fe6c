using System.CommandLine;
using System.Globalization;
using System.Text;
using DataClauses.Disclosure;

namespace DataClauses.Cli.Commands;

/// <summary>
/// <c>dataclauses disclose</c>: the gateway's protection, offline. Aggregates a microdata CSV over the given
/// dimensions (every marginal, through hierarchies), applies the primary rules, secondary suppression and rounding,
/// and writes one CSV row per cell of the full table — so that a partner can check what would be released. By default
/// the output is what a recipient would see: every secret cell is <c>secret</c> with <c>s</c> for its values (ADR
/// 0006); <c>--show-reasons</c> adds why (primary and its rules, or secondary), for the partner's own eyes.
/// A cell's count is its number of distinct units: a unit met twice in one leaf cell counts once (its sums add up);
/// a unit met in two leaf cells counts in each, and so in the marginals above them, which keeps the table additive.
/// </summary>
internal static class DiscloseCommand
{
    /// <summary>What a cell is called in the output when a dimension is at its total.</summary>
    public const string Total = Hierarchy.DefaultTotal;

    /// <summary>What a secret value shows, as in the gateway's CSV.</summary>
    public const string Secret = "s";

    private static readonly (SensitivityReasons Flag, string Name)[] RuleNames =
    [
        (SensitivityReasons.MinCount, "min-count"),
        (SensitivityReasons.Dominance, "dominance"),
        (SensitivityReasons.PPercent, "p-percent"),
        (SensitivityReasons.Zero, "zero"),
    ];

    public static Command Create(TextWriter output, TextWriter error)
    {
        var input = new Option<string>("--input") { Description = "Microdata CSV (UTF-8, ';' or ',' separated, one row per unit and record).", Required = true };
        var dims = new Option<string>("--dims") { Description = "Dimension columns, comma-separated (e.g. qpv,type_menage).", Required = true };
        var countUnit = new Option<string>("--count-unit") { Description = "Column identifying a unit: a cell counts its distinct units.", Required = true };
        var sums = new Option<string[]>("--sum") { Description = "Sum measure column(s), repeatable or comma-separated (decimal point or comma).", AllowMultipleArgumentsPerToken = false };
        var minCount = new Option<string>("--min-count") { Description = "Minimum number of units per published cell.", Required = true };
        var dominance = new Option<string?>("--dominance") { Description = "Dominance rule n:k — sensitive when the n largest units exceed k% of a sum (e.g. 1:85)." };
        var pPercent = new Option<string?>("--p-percent") { Description = "p% rule on the sums (e.g. 10)." };
        var hierarchies = new Option<string[]>("--hierarchy") { Description = "dim:level:level=FILE.csv — the dimension rolls up through those levels, FILE having one row per leaf (e.g. qpv:commune:epci=qpv.csv)." };
        var rounding = new Option<string>("--rounding") { Description = "none, base5 or midpoint6 (published counts, after suppression).", DefaultValueFactory = _ => "none" };
        var protectZeros = new Option<bool>("--protect-zeros") { Description = "Treat empty cells as sensitive." };
        var outputPath = new Option<string>("--output") { Description = "The protected table, as CSV.", Required = true };
        var showReasons = new Option<bool>("--show-reasons")
        {
            Description = "Add why each secret cell is secret (primary and its rules, or secondary): for checking your own table, never for a recipient.",
        };
        var command = new Command("disclose", "Protect a table offline with the gateway's protection library and the rules given, and write every cell with its status (comma-separated, decimal point; the gateway's own CSV is French: ';' and a decimal comma).")
        {
            input, dims, countUnit, sums, minCount, dominance, pPercent, hierarchies, rounding, protectZeros, outputPath, showReasons,
        };
        command.SetAction(parse =>
        {
            try
            {
                var request = new Request(
                    parse.GetValue(input)!,
                    SplitList(parse.GetValue(dims)!),
                    parse.GetValue(countUnit)!.Trim(),
                    [.. (parse.GetValue(sums) ?? []).SelectMany(SplitList)],
                    ParseRules(parse.GetValue(minCount)!, parse.GetValue(dominance), parse.GetValue(pPercent), parse.GetValue(rounding)!, parse.GetValue(protectZeros)),
                    [.. (parse.GetValue(hierarchies) ?? []).Select(ParseHierarchyOption)],
                    parse.GetValue(outputPath)!,
                    parse.GetValue(showReasons));
                var (table, protectedTable) = Run(request);
                var secret = protectedTable.PrimaryCount + protectedTable.SecondaryCount;
                output.WriteLine(request.ShowReasons
                    ? string.Create(CultureInfo.InvariantCulture, $"{table.CellCount} cells: {secret} secret ({protectedTable.PrimaryCount} primary, {protectedTable.SecondaryCount} secondary); written to {request.Output}")
                    : string.Create(CultureInfo.InvariantCulture, $"{table.CellCount} cells: {secret} secret; written to {request.Output}"));
                return CliApp.Success;
            }
            catch (DiscloseException ex)
            {
                error.WriteLine(ex.Message);
                return CliApp.Failure;
            }
        });
        return command;
    }

    /// <summary>A checked command line.</summary>
    internal sealed record Request(
        string Input,
        IReadOnlyList<string> Dimensions,
        string CountUnit,
        IReadOnlyList<string> Sums,
        DisclosureRules Rules,
        IReadOnlyList<HierarchyOption> Hierarchies,
        string Output,
        bool ShowReasons = false);

    /// <summary><c>dim:level:level=FILE</c>: the dimension and the columns of FILE it rolls up through.</summary>
    internal sealed record HierarchyOption(string Dimension, IReadOnlyList<string> Levels, string File);

    /// <summary>Reads, aggregates, protects and writes; returns the table and its protection.</summary>
    internal static (Table Table, ProtectedTable Protected) Run(Request request)
    {
        var table = BuildTable(request);
        var protectedTable = TableProtector.Protect(table, request.Rules);
        File.WriteAllText(request.Output, Render(protectedTable, request.Sums, request.ShowReasons), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return (table, protectedTable);
    }

    /// <summary>The table a request describes (the leaves from the microdata, the hierarchies from their files).</summary>
    internal static Table BuildTable(Request request)
    {
        foreach (var duplicate in request.Dimensions.GroupBy(d => d, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            throw new DiscloseException($"--dims: '{duplicate.Key}' is listed twice");
        }

        if (request.Sums.Count == 0 && (request.Rules.Dominance is not null || request.Rules.PPercent is not null))
        {
            throw new DiscloseException($"{(request.Rules.Dominance is not null ? "--dominance" : "--p-percent")}: applies to sums; give the measure with --sum");
        }

        foreach (var option in request.Hierarchies.Where(h => !request.Dimensions.Contains(h.Dimension, StringComparer.Ordinal)))
        {
            throw new DiscloseException($"--hierarchy: '{option.Dimension}' is not one of --dims ({string.Join(", ", request.Dimensions)})");
        }

        var hierarchies = new Dictionary<string, (Hierarchy Hierarchy, string File)>(StringComparer.Ordinal);
        foreach (var option in request.Hierarchies)
        {
            if (hierarchies.ContainsKey(option.Dimension))
            {
                throw new DiscloseException($"--hierarchy: '{option.Dimension}' has two hierarchies");
            }

            hierarchies[option.Dimension] = (ReadHierarchy(option), option.File);
        }

        var csv = CsvFile.Read(request.Input);
        if (csv.Rows.Count == 0)
        {
            throw new DiscloseException($"{csv.Path}:2:1: no data rows");
        }

        var columns = new List<string>(request.Dimensions) { request.CountUnit };
        columns.AddRange(request.Sums);
        var index = columns.ToDictionary(c => c, c => csv.ColumnOf(c), StringComparer.Ordinal);

        // Leaf codes: from the hierarchy files, else the distinct values met (in ordinal order).
        var leafValues = request.Dimensions.Select(_ => new SortedSet<string>(StringComparer.Ordinal)).ToArray();
        var units = new Dictionary<(string Cell, string Unit), (string[] Codes, double[] Values)>();
        foreach (var row in csv.Rows)
        {
            var codes = new string[request.Dimensions.Count];
            for (var d = 0; d < codes.Length; d++)
            {
                var (value, column) = row.Field(index[request.Dimensions[d]], request.Dimensions[d]);
                if (hierarchies.TryGetValue(request.Dimensions[d], out var known))
                {
                    var code = known.Hierarchy.IndexOf(value);
                    if (code < 0 || !known.Hierarchy.IsLeaf(code))
                    {
                        throw new DiscloseException($"{csv.Path}:{row.Line}:{column}: '{value}' of column '{request.Dimensions[d]}' is not a leaf of {known.File}");
                    }
                }
                else if (value == Total)
                {
                    throw new DiscloseException($"{csv.Path}:{row.Line}:{column}: '{Total}' is reserved for the marginals of column '{request.Dimensions[d]}'");
                }

                codes[d] = value;
                leafValues[d].Add(value);
            }

            var (unit, _) = row.Field(index[request.CountUnit], request.CountUnit);
            var values = new double[request.Sums.Count];
            for (var m = 0; m < values.Length; m++)
            {
                var (text, column) = row.Field(index[request.Sums[m]], request.Sums[m]);
                values[m] = ParseNumber(text) ?? throw new DiscloseException($"{csv.Path}:{row.Line}:{column}: '{text}' is not a number (column '{request.Sums[m]}')");
            }

            // A unit met twice in one leaf cell counts once; its values add up.
            var key = (string.Join('\u001f', codes), unit);
            if (units.TryGetValue(key, out var existing))
            {
                for (var m = 0; m < values.Length; m++)
                {
                    existing.Values[m] += values[m];
                }
            }
            else
            {
                units[key] = (codes, values);
            }
        }

        var dimensions = request.Dimensions
            .Select((name, d) => new Dimension(name, hierarchies.TryGetValue(name, out var h) ? h.Hierarchy : Hierarchy.Flat(leafValues[d])))
            .ToList();
        var builder = new TableBuilder(dimensions, request.Sums, request.Rules.TopContributionsNeeded);
        foreach (var (codes, values) in units.Values)
        {
            builder.AddRecord(codes, values);
        }

        return builder.Build();
    }

    /// <summary>
    /// The output CSV: the dimensions, count, sums and status of every cell, in the table's cell order. A secret cell
    /// is <c>secret</c> with <c>s</c> for its values, whatever made it secret; with <paramref name="showReasons"/> a
    /// last <c>reason</c> column says why (<c>primary:min-count+dominance</c>, <c>secondary</c>…).
    /// </summary>
    internal static string Render(ProtectedTable table, IReadOnlyList<string> sums, bool showReasons = false)
    {
        var text = new StringBuilder();
        var header = table.Table.Dimensions.Select(d => d.Name).Append("count").Concat(sums).Append("status");
        if (showReasons)
        {
            header = header.Append("reason");
        }

        text.Append(string.Join(',', header.Select(Quote))).Append('\n');
        for (var cell = 0; cell < table.Table.CellCount; cell++)
        {
            var fields = new List<string>(table.Table.CodesOf(cell).Select(Quote));
            var published = table.IsPublished(cell);
            fields.Add(published ? table.PublishedCounts[cell].ToString(CultureInfo.InvariantCulture) : Secret);
            for (var m = 0; m < sums.Count; m++)
            {
                fields.Add(published ? table.Table.Sums[m][cell].ToString("R", CultureInfo.InvariantCulture) : Secret);
            }

            fields.Add(published ? "published" : "secret");
            if (showReasons)
            {
                fields.Add(ReasonOf(table.Statuses[cell], table.Reasons[cell]));
            }

            text.Append(string.Join(',', fields)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Why a cell is secret: <c>primary:</c> and its rules joined by <c>+</c>, <c>secondary</c>, or empty.</summary>
    internal static string ReasonOf(CellStatus status, SensitivityReasons reasons) => status switch
    {
        CellStatus.SuppressedPrimary => "primary:" + string.Join('+', RuleNames.Where(r => reasons.HasFlag(r.Flag)).Select(r => r.Name)),
        CellStatus.SuppressedSecondary => "secondary",
        _ => string.Empty,
    };

    private static Hierarchy ReadHierarchy(HierarchyOption option)
    {
        var csv = CsvFile.Read(option.File);
        var levels = new List<string> { option.Dimension };
        levels.AddRange(option.Levels);
        var columns = levels.Select(csv.ColumnOf).ToArray();

        // Parents per code, level by level (leaves first); the same code must always have the same parent.
        var parentOf = new Dictionary<string, (string? Parent, int Level, int Line, int Column)>(StringComparer.Ordinal);
        foreach (var row in csv.Rows)
        {
            for (var l = 0; l < levels.Count; l++)
            {
                var (code, column) = row.Field(columns[l], levels[l]);
                string? parent = l + 1 < levels.Count ? row.Field(columns[l + 1], levels[l + 1]).Value : null;
                if (code == Total)
                {
                    throw new DiscloseException($"{csv.Path}:{row.Line}:{column}: '{Total}' is reserved for the grand total");
                }

                if (parentOf.TryGetValue(code, out var seen))
                {
                    if (seen.Level != l)
                    {
                        throw new DiscloseException($"{csv.Path}:{row.Line}:{column}: '{code}' is a {levels[l]} here but a {levels[seen.Level]} on line {seen.Line}");
                    }

                    if (l == 0)
                    {
                        throw new DiscloseException($"{csv.Path}:{row.Line}:{column}: {levels[0]} '{code}' is listed twice (first on line {seen.Line})");
                    }

                    if (!string.Equals(seen.Parent, parent, StringComparison.Ordinal))
                    {
                        throw new DiscloseException($"{csv.Path}:{row.Line}:{column}: {levels[l]} '{code}' is in {levels[l + 1]} '{parent}' here but in '{seen.Parent}' on line {seen.Line}");
                    }

                    continue;
                }

                parentOf[code] = (parent, l, row.Line, column);
            }
        }

        if (parentOf.Count == 0)
        {
            throw new DiscloseException($"{csv.Path}:2:1: no {option.Dimension} listed");
        }

        // Highest level first, each level in ordinal order: a stable code order for the output.
        var pairs = parentOf
            .OrderByDescending(p => p.Value.Level)
            .ThenBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => (p.Key, p.Value.Parent));
        return Hierarchy.FromParents(pairs);
    }

    private static DisclosureRules ParseRules(string minCount, string? dominance, string? pPercent, string rounding, bool protectZeros)
    {
        if (!int.TryParse(minCount.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var min) || min < 1)
        {
            throw new DiscloseException($"--min-count: '{minCount}' is not a whole number of at least 1");
        }

        (int, double)? dominanceRule = null;
        if (dominance is not null)
        {
            var parts = dominance.Split(':');
            if (parts.Length != 2
                || !int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1
                || ParseNumber(parts[1]) is not { } k || k <= 0 || k > 100)
            {
                throw new DiscloseException($"--dominance: '{dominance}' is not n:k with n ≥ 1 and 0 < k ≤ 100 (e.g. 1:85)");
            }

            dominanceRule = (n, k);
        }

        double? p = null;
        if (pPercent is not null)
        {
            p = ParseNumber(pPercent) is { } value and > 0 and <= 100
                ? value
                : throw new DiscloseException($"--p-percent: '{pPercent}' is not a percentage (0 < p ≤ 100)");
        }

        var mode = rounding.Trim() switch
        {
            "none" => Rounding.None,
            "base5" => Rounding.Base5,
            "midpoint6" => Rounding.Midpoint6,
            _ => throw new DiscloseException($"--rounding: '{rounding}' is not none, base5 or midpoint6"),
        };
        return new DisclosureRules { MinCount = min, Dominance = dominanceRule, PPercent = p, Rounding = mode, ProtectZeros = protectZeros };
    }

    private static HierarchyOption ParseHierarchyOption(string text)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        var names = equals > 0 ? text[..equals].Split(':') : [];
        if (equals <= 0 || equals == text.Length - 1 || names.Length < 2 || names.Any(n => n.Trim().Length == 0))
        {
            throw new DiscloseException($"--hierarchy: '{text}' is not dim:level[:level…]=FILE.csv (e.g. qpv:commune:epci=qpv.csv)");
        }

        return new HierarchyOption(names[0].Trim(), [.. names.Skip(1).Select(n => n.Trim())], text[(equals + 1)..]);
    }

    private static string[] SplitList(string text) =>
        [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>A decimal number with a point or a comma as the decimal separator (no thousands separator).</summary>
    private static double? ParseNumber(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Count(c => c is '.' or ',') > 1)
        {
            return null;
        }

        return double.TryParse(trimmed.Replace(',', '.'), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            && double.IsFinite(value) ? value : null;
    }

    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;

    /// <summary>A problem with the command line or an input file, already worded as <c>file:line:col: message</c>.</summary>
    internal sealed class DiscloseException(string message) : Exception(message);

    /// <summary>
    /// A small CSV file: UTF-8 with or without BOM, the separator (';' or ',') taken from the header, fields optionally
    /// in double quotes ("" for a quote), one record per line. Positions are 1-based lines and character columns.
    /// </summary>
    internal sealed class CsvFile
    {
        private readonly Dictionary<string, int> _columns;

        private CsvFile(string path, IReadOnlyList<string> header, Dictionary<string, int> columns, IReadOnlyList<CsvRow> rows)
        {
            Path = path;
            Header = header;
            _columns = columns;
            Rows = rows;
        }

        public string Path { get; }

        public IReadOnlyList<string> Header { get; }

        public IReadOnlyList<CsvRow> Rows { get; }

        /// <summary>The index of a column, or a <c>file:1:1</c> error naming the columns there are.</summary>
        public int ColumnOf(string name) => _columns.TryGetValue(name, out var index)
            ? index
            : throw new DiscloseException($"{Path}:1:1: no column '{name}' (columns: {string.Join(", ", Header)})");

        public static CsvFile Read(string path)
        {
            if (!File.Exists(path))
            {
                throw new DiscloseException($"{path}:1:1: no such file");
            }

            var bytes = File.ReadAllBytes(path);
            var start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
            var decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
            var lines = new List<string>();
            var lineStart = start;
            for (var i = start; i <= bytes.Length; i++)
            {
                if (i < bytes.Length && bytes[i] != (byte)'\n')
                {
                    continue;
                }

                var end = i > lineStart && bytes[i - 1] == (byte)'\r' ? i - 1 : i;
                try
                {
                    lines.Add(decoder.GetString(bytes, lineStart, end - lineStart));
                }
                catch (DecoderFallbackException)
                {
                    throw new DiscloseException($"{path}:{lines.Count + 1}:1: not valid UTF-8");
                }

                lineStart = i + 1;
            }

            if (lines.Count == 0 || lines[0].Trim().Length == 0)
            {
                throw new DiscloseException($"{path}:1:1: no header line");
            }

            var separator = lines[0].Contains(';', StringComparison.Ordinal) ? ';' : ',';
            var header = Split(path, 1, lines[0], separator);
            var columns = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var c = 0; c < header.Count; c++)
            {
                var name = header[c].Value.Trim();
                if (name.Length == 0)
                {
                    throw new DiscloseException($"{path}:1:{header[c].Column}: empty column name");
                }

                if (!columns.TryAdd(name, c))
                {
                    throw new DiscloseException($"{path}:1:{header[c].Column}: column '{name}' appears twice");
                }
            }

            var rows = new List<CsvRow>();
            for (var l = 1; l < lines.Count; l++)
            {
                if (lines[l].Trim().Length == 0)
                {
                    continue;
                }

                var fields = Split(path, l + 1, lines[l], separator);
                if (fields.Count != header.Count)
                {
                    var column = fields.Count > header.Count ? fields[header.Count].Column : lines[l].Length + 1;
                    throw new DiscloseException($"{path}:{l + 1}:{column}: {fields.Count} fields where the header has {header.Count}");
                }

                rows.Add(new CsvRow(path, l + 1, fields));
            }

            return new CsvFile(path, [.. header.Select(h => h.Value.Trim())], columns, rows);
        }

        private static List<(string Value, int Column)> Split(string path, int line, string text, char separator)
        {
            var fields = new List<(string, int)>();
            var i = 0;
            while (true)
            {
                var column = i + 1;
                var value = new StringBuilder();
                if (i < text.Length && text[i] == '"')
                {
                    i++;
                    while (true)
                    {
                        if (i >= text.Length)
                        {
                            throw new DiscloseException($"{path}:{line}:{column}: a quoted field is not closed");
                        }

                        if (text[i] == '"')
                        {
                            if (i + 1 < text.Length && text[i + 1] == '"')
                            {
                                value.Append('"');
                                i += 2;
                                continue;
                            }

                            i++;
                            break;
                        }

                        value.Append(text[i++]);
                    }

                    if (i < text.Length && text[i] != separator)
                    {
                        throw new DiscloseException($"{path}:{line}:{i + 1}: unexpected text after a quoted field");
                    }
                }
                else
                {
                    while (i < text.Length && text[i] != separator)
                    {
                        value.Append(text[i++]);
                    }
                }

                fields.Add((value.ToString(), column));
                if (i >= text.Length)
                {
                    return fields;
                }

                i++; // the separator
            }
        }
    }

    /// <summary>One record of a <see cref="CsvFile"/>.</summary>
    internal sealed class CsvRow(string path, int line, IReadOnlyList<(string Value, int Column)> fields)
    {
        public int Line { get; } = line;

        /// <summary>A trimmed, non-empty value and its column, or a <c>file:line:col</c> error.</summary>
        public (string Value, int Column) Field(int index, string name)
        {
            var (value, column) = fields[index];
            var trimmed = value.Trim();
            return trimmed.Length > 0 ? (trimmed, column) : throw new DiscloseException($"{path}:{Line}:{column}: missing value in column '{name}'");
        }
    }
}
