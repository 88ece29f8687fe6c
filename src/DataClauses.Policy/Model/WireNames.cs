using System.Collections.Frozen;

namespace DataClauses.Policy.Model;

/// <summary>
/// The names the contract files and the APIs use for each enumeration value (kebab-case), in one place
/// so that the YAML reader, the JSON output and the ODRL export cannot disagree.
/// </summary>
public static class WireNames
{
    private static readonly FrozenDictionary<string, GeoLevel> GeoLevels = Map(
        ("iris", GeoLevel.Iris), ("qpv", GeoLevel.Qpv), ("commune", GeoLevel.Commune), ("epci", GeoLevel.Epci));

    private static readonly FrozenDictionary<string, Zoning> Zonings = Map(("qpv2024", Zoning.Qpv2024), ("qpv2015", Zoning.Qpv2015));

    private static readonly FrozenDictionary<string, OrganisationKind> Kinds = Map(
        ("state", OrganisationKind.State), ("epci", OrganisationKind.Epci), ("commune", OrganisationKind.Commune),
        ("caf", OrganisationKind.Caf), ("bailleur", OrganisationKind.Bailleur), ("france-travail", OrganisationKind.FranceTravail),
        ("cpam", OrganisationKind.Cpam), ("region", OrganisationKind.Region), ("departement", OrganisationKind.Departement),
        ("agency", OrganisationKind.Agency), ("other", OrganisationKind.Other));

    private static readonly FrozenDictionary<string, RoundingMode> Roundings = Map(
        ("none", RoundingMode.None), ("base-5", RoundingMode.Base5), ("midpoint-6", RoundingMode.Midpoint6));

    private static readonly FrozenDictionary<string, ApprovalMode> Approvals = Map(
        ("automatic", ApprovalMode.Automatic), ("steward", ApprovalMode.Steward), ("four-eyes", ApprovalMode.FourEyes));

    private static readonly FrozenDictionary<string, RetentionEnd> RetentionEnds = Map(("delete", RetentionEnd.Delete), ("anonymise", RetentionEnd.Anonymise));

    private static readonly FrozenDictionary<string, Tier> Tiers = Map(("open", Tier.Open), ("aggregated", Tier.Aggregated), ("protected", Tier.Protected));

    private static readonly FrozenDictionary<string, MeasureKind> MeasureKinds = Map(("count", MeasureKind.Count), ("sum", MeasureKind.Sum));

    private static readonly FrozenDictionary<string, PolicyAction> Actions = Map(
        ("query", PolicyAction.Query), ("extract", PolicyAction.Extract), ("publish", PolicyAction.Publish),
        ("approve", PolicyAction.Approve), ("audit-read", PolicyAction.AuditRead));

    private static readonly FrozenDictionary<string, Effect> Effects = Map(
        ("permit", Effect.Permit), ("deny", Effect.Deny), ("approval-required", Effect.ApprovalRequired));

    /// <summary>The accepted names of geographic levels.</summary>
    public static IEnumerable<string> GeoLevelNames => GeoLevels.Keys;

    /// <summary>The accepted names of organisation kinds.</summary>
    public static IEnumerable<string> KindNames => Kinds.Keys;

    /// <summary>Parses a geographic level name.</summary>
    public static bool TryParse(string text, out GeoLevel value) => GeoLevels.TryGetValue(text, out value);

    /// <summary>Parses a zoning name.</summary>
    public static bool TryParse(string text, out Zoning value) => Zonings.TryGetValue(text, out value);

    /// <summary>Parses an organisation kind name.</summary>
    public static bool TryParse(string text, out OrganisationKind value) => Kinds.TryGetValue(text, out value);

    /// <summary>Parses a rounding mode name.</summary>
    public static bool TryParse(string text, out RoundingMode value) => Roundings.TryGetValue(text, out value);

    /// <summary>Parses an approval mode name.</summary>
    public static bool TryParse(string text, out ApprovalMode value) => Approvals.TryGetValue(text, out value);

    /// <summary>Parses a retention end name.</summary>
    public static bool TryParse(string text, out RetentionEnd value) => RetentionEnds.TryGetValue(text, out value);

    /// <summary>Parses a tier name.</summary>
    public static bool TryParse(string text, out Tier value) => Tiers.TryGetValue(text, out value);

    /// <summary>Parses a measure kind name.</summary>
    public static bool TryParse(string text, out MeasureKind value) => MeasureKinds.TryGetValue(text, out value);

    /// <summary>Parses an action name.</summary>
    public static bool TryParse(string text, out PolicyAction value) => Actions.TryGetValue(text, out value);

    /// <summary>Parses an effect name.</summary>
    public static bool TryParse(string text, out Effect value) => Effects.TryGetValue(text, out value);

    /// <summary>The names accepted for an enumeration, for error messages.</summary>
    public static IReadOnlyList<string> NamesOf<T>()
        where T : struct, Enum => typeof(T) switch
        {
            var t when t == typeof(GeoLevel) => [.. GeoLevels.Keys.Order(StringComparer.Ordinal)],
            var t when t == typeof(Zoning) => [.. Zonings.Keys.Order(StringComparer.Ordinal)],
            var t when t == typeof(OrganisationKind) => [.. Kinds.Keys.Order(StringComparer.Ordinal)],
            var t when t == typeof(RoundingMode) => [.. Roundings.Keys.Order(StringComparer.Ordinal)],
            var t when t == typeof(ApprovalMode) => [.. Approvals.Keys.Order(StringComparer.Ordinal)],
            var t when t == typeof(RetentionEnd) => [.. RetentionEnds.Keys.Order(StringComparer.Ordinal)],
            var t when t == typeof(Tier) => [.. Tiers.Keys.Order(StringComparer.Ordinal)],
            var t when t == typeof(MeasureKind) => [.. MeasureKinds.Keys.Order(StringComparer.Ordinal)],
            var t when t == typeof(PolicyAction) => [.. Actions.Keys.Order(StringComparer.Ordinal)],
            var t when t == typeof(Effect) => [.. Effects.Keys.Order(StringComparer.Ordinal)],
            _ => throw new NotSupportedException($"No wire names for {typeof(T).Name}."),
        };

    /// <summary>The wire name of a geographic level.</summary>
    public static string ToWire(this GeoLevel value) => value switch
    {
        GeoLevel.Iris => "iris",
        GeoLevel.Qpv => "qpv",
        GeoLevel.Commune => "commune",
        GeoLevel.Epci => "epci",
        _ => throw new ArgumentOutOfRangeException(nameof(value)),
    };

    /// <summary>The wire name of a zoning.</summary>
    public static string ToWire(this Zoning value) => value == Zoning.Qpv2015 ? "qpv2015" : "qpv2024";

    /// <summary>The wire name of an organisation kind.</summary>
    public static string ToWire(this OrganisationKind value) => Kinds.First(p => p.Value == value).Key;

    /// <summary>The wire name of a rounding mode.</summary>
    public static string ToWire(this RoundingMode value) => value switch
    {
        RoundingMode.Base5 => "base-5",
        RoundingMode.Midpoint6 => "midpoint-6",
        _ => "none",
    };

    /// <summary>The wire name of an approval mode.</summary>
    public static string ToWire(this ApprovalMode value) => value switch
    {
        ApprovalMode.Steward => "steward",
        ApprovalMode.FourEyes => "four-eyes",
        _ => "automatic",
    };

    /// <summary>The wire name of a retention end.</summary>
    public static string ToWire(this RetentionEnd value) => value == RetentionEnd.Anonymise ? "anonymise" : "delete";

    /// <summary>The wire name of a tier.</summary>
    public static string ToWire(this Tier value) => value switch
    {
        Tier.Open => "open",
        Tier.Aggregated => "aggregated",
        _ => "protected",
    };

    /// <summary>The wire name of an action.</summary>
    public static string ToWire(this PolicyAction value) => value switch
    {
        PolicyAction.Query => "query",
        PolicyAction.Extract => "extract",
        PolicyAction.Publish => "publish",
        PolicyAction.Approve => "approve",
        _ => "audit-read",
    };

    /// <summary>The wire name of an effect.</summary>
    public static string ToWire(this Effect value) => value switch
    {
        Effect.Permit => "permit",
        Effect.ApprovalRequired => "approval-required",
        _ => "deny",
    };

    private static FrozenDictionary<string, T> Map<T>(params (string Name, T Value)[] pairs) =>
        pairs.ToFrozenDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
}
