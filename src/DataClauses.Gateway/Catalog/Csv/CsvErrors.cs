namespace DataClauses.Gateway.Catalog.Csv;

/// <summary>
/// The classes of CSV errors, which decide the problem's status and type: a file that cannot be decoded or split
/// into records is a bad request (400); a well-formed file whose header or values do not fit the schema is
/// unprocessable content (422).
/// </summary>
internal enum CsvErrorClass
{
    /// <summary>Bytes that are not text in the declared encoding (400, <c>csv-encoding</c>).</summary>
    Encoding,

    /// <summary>Records that cannot be split reliably: quotes, field counts, empty file (400, <c>csv-structure</c>).</summary>
    Structure,

    /// <summary>The header does not name the schema's columns (422, <c>csv-header</c>).</summary>
    Header,

    /// <summary>Values that do not fit the schema or the contract (422, <c>csv-values</c>).</summary>
    Value,
}

/// <summary>A problem the reader found in a record, before the header names its columns.</summary>
/// <param name="Class">Error class.</param>
/// <param name="Code">Stable code.</param>
/// <param name="Line">1-based physical line.</param>
/// <param name="Column">1-based field ordinal (0 when not tied to a field).</param>
/// <param name="Message">Explanation.</param>
internal sealed record CsvProblem(CsvErrorClass Class, string Code, long Line, int Column, string Message);

/// <summary>One error as reported to the client: where, which column, what.</summary>
/// <param name="Line">1-based physical line where the record starts (or where the bad byte is).</param>
/// <param name="Column">1-based field ordinal, or null.</param>
/// <param name="Field">The column's name from the header, or null.</param>
/// <param name="Code">Stable code.</param>
/// <param name="Message">Explanation, naming the column.</param>
internal sealed record CsvError(long Line, int? Column, string? Field, string Code, string Message);

/// <summary>
/// Keeps the errors by class — up to <see cref="MaxErrors"/> of each in file order, and the count of all — and
/// reports the most severe class found (encoding, then structure, then header, then values), so that a wrongly
/// encoded or malformed file reports that, not the cascade of value errors it causes.
/// </summary>
internal sealed class CsvErrorCollector
{
    /// <summary>How many errors a problem lists.</summary>
    public const int MaxErrors = 100;

    private readonly List<CsvError>[] _errors = [[], [], [], []];
    private readonly long[] _counts = new long[4];

    /// <summary>The most severe class found, when there is an error.</summary>
    public CsvErrorClass? Class
    {
        get
        {
            for (var i = 0; i < _counts.Length; i++)
            {
                if (_counts[i] > 0)
                {
                    return (CsvErrorClass)i;
                }
            }

            return null;
        }
    }

    /// <summary>All errors of <see cref="Class"/> found.</summary>
    public long Count => Class is { } c ? _counts[(int)c] : 0;

    /// <summary>The first errors of <see cref="Class"/> (at most <see cref="MaxErrors"/>).</summary>
    public IReadOnlyList<CsvError> Errors => Class is { } c ? _errors[(int)c] : [];

    /// <summary>True once an error was reported.</summary>
    public bool HasErrors { get; private set; }

    /// <summary>True when more errors were found than listed.</summary>
    public bool Truncated => Count > Errors.Count;

    /// <summary>Reports an error.</summary>
    public void Report(CsvErrorClass errorClass, CsvError error)
    {
        HasErrors = true;
        var index = (int)errorClass;
        _counts[index]++;
        if (_errors[index].Count < MaxErrors)
        {
            _errors[index].Add(error);
        }
    }
}
