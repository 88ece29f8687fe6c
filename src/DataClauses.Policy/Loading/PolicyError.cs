namespace DataClauses.Policy.Loading;

/// <summary>One problem found in a contract file, at a precise place.</summary>
/// <param name="File">The file path as given to the loader.</param>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column.</param>
/// <param name="Code">Stable kebab-case code (see <see cref="PolicyErrorCodes"/>).</param>
/// <param name="Message">What is wrong and what is expected.</param>
public sealed record PolicyError(string File, int Line, int Column, string Code, string Message)
{
    /// <summary>The compiler-style form: <c>path:line:col: error CODE: message</c>.</summary>
    public override string ToString() => $"{File}:{Line}:{Column}: error {Code}: {Message}";
}

/// <summary>The stable codes of contract errors; policies/README.md lists them with examples.</summary>
public static class PolicyErrorCodes
{
    /// <summary>A path given to the loader is neither a file nor a directory.</summary>
    public const string FileNotFound = "file-not-found";

    /// <summary>The file is not well-formed YAML, is empty, repeats a key in a mapping or holds more than one document.</summary>
    public const string YamlSyntax = "yaml-syntax";

    /// <summary>A key the format does not define.</summary>
    public const string UnknownKey = "unknown-key";

    /// <summary>A required key is absent.</summary>
    public const string MissingKey = "missing-key";

    /// <summary>A mapping, list or scalar was expected and something else was found.</summary>
    public const string InvalidType = "invalid-type";

    /// <summary>A value of the right type but not acceptable (date, duration, enumeration, identifier…).</summary>
    public const string InvalidValue = "invalid-value";

    /// <summary>Two items share an identifier (or two files a contract id).</summary>
    public const string DuplicateId = "duplicate-id";

    /// <summary>A reference to an undeclared purpose, dataset, organisation, dimension, measure, commune or clause.</summary>
    public const string UnknownReference = "unknown-reference";

    /// <summary>A clause grants a prohibited purpose.</summary>
    public const string ProhibitedPurposeGranted = "prohibited-purpose-granted";

    /// <summary>A retention longer than the contract itself.</summary>
    public const string RetentionExceedsContract = "retention-exceeds-contract";

    /// <summary>A disclosure threshold out of range (minimum count outside 1–1000, dominance n outside 1–10, k or p outside 1–100).</summary>
    public const string InvalidThreshold = "invalid-threshold";

    /// <summary>A QPV code not in the format of its list (2024 codes in territory.qpv, 2015 codes in territory.qpv2015).</summary>
    public const string InvalidQpvCode = "invalid-qpv-code";

    /// <summary>A clause and its dataset in different zonings, or 2015 codes without a 2015 clause.</summary>
    public const string ZoningMismatch = "zoning-mismatch";

    /// <summary>An end before a start, an amendment effective before it is signed or before the previous one, or a date outside the contract period.</summary>
    public const string InvalidPeriod = "invalid-period";

    /// <summary>
    /// Two statements that cannot both hold: a purpose both permitted and prohibited, a clause whose provider is not
    /// the dataset's, a dimension finer than the clause's finest geography, a sum rule without a sum measure, values on
    /// a geographic dimension.
    /// </summary>
    public const string Contradiction = "contradiction";
}
