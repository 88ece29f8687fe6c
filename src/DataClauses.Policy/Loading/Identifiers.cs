using System.Text.RegularExpressions;

namespace DataClauses.Policy.Loading;

/// <summary>The shapes identifiers and codes must have; the gateway relies on them for SQL identifiers.</summary>
public static partial class Identifiers
{
    [GeneratedRegex("^[a-z0-9](?:[a-z0-9._-]{0,98}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[a-z][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex ColumnPattern();

    [GeneratedRegex("^QN(?:[0-9]{3}|02[AB])[0-9]{2}[NMI]$", RegexOptions.CultureInvariant)]
    private static partial Regex Qpv2024Pattern();

    [GeneratedRegex("^QP(?:[0-9]{3}|02[AB])[0-9]{3}$", RegexOptions.CultureInvariant)]
    private static partial Regex Qpv2015Pattern();

    [GeneratedRegex("^(?:[0-9]{2}|2[AB])[0-9]{3}$", RegexOptions.CultureInvariant)]
    private static partial Regex CommunePattern();

    [GeneratedRegex("^(?:[0-9]{2}|2[AB])[0-9]{3}[0-9]{4}$", RegexOptions.CultureInvariant)]
    private static partial Regex IrisPattern();

    [GeneratedRegex("^[0-9]{9}$", RegexOptions.CultureInvariant)]
    private static partial Regex SirenPattern();

    /// <summary>Contract, organisation, purpose, dataset and clause identifiers.</summary>
    public static bool IsValidId(string text) => IdPattern().IsMatch(text);

    /// <summary>Dimension and measure names (they become SQL column names).</summary>
    public static bool IsValidColumnName(string text) => ColumnPattern().IsMatch(text);

    /// <summary>A QPV code of the 2024 list: <c>QN</c>, département, number, status letter (N/M/I).</summary>
    public static bool IsQpv2024Code(string text) => Qpv2024Pattern().IsMatch(text);

    /// <summary>A QPV code of the 2015 list: <c>QP</c>, département, number.</summary>
    public static bool IsQpv2015Code(string text) => Qpv2015Pattern().IsMatch(text);

    /// <summary>An INSEE commune code.</summary>
    public static bool IsCommuneCode(string text) => CommunePattern().IsMatch(text);

    /// <summary>An INSEE IRIS code (commune code + 4 digits).</summary>
    public static bool IsIrisCode(string text) => IrisPattern().IsMatch(text);

    /// <summary>A SIREN number (9 digits).</summary>
    public static bool IsSiren(string text) => SirenPattern().IsMatch(text);
}
