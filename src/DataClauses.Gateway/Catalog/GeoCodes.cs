using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using DataClauses.Policy.Loading;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Catalog;

/// <summary>
/// The geographic codes of a contract's territory, for a dataset's zoning: the QPV codes of its zoning (the 2024
/// list, or <c>territory.qpv2015</c> for a dataset in the 2015 zoning), the communes' INSEE codes, the EPCI's
/// SIREN code; an IRIS code belongs when it is a well-formed IRIS code starting with a commune's code.
/// </summary>
internal sealed class GeoCodes
{
    private static readonly ConditionalWeakTable<Contract, GeoCodes[]> Cache = [];

    private GeoCodes(Contract contract, Zoning zoning)
    {
        Zoning = zoning;
        Qpv = (zoning == Zoning.Qpv2015 ? contract.Territory.Qpv2015 : contract.Territory.Qpv).Select(q => q.Code).ToFrozenSet(StringComparer.Ordinal);
        Communes = contract.Territory.Communes.Select(c => c.Code).ToFrozenSet(StringComparer.Ordinal);
        Epci = new[] { contract.Territory.EpciCode }.ToFrozenSet(StringComparer.Ordinal);
    }

    /// <summary>The zoning the QPV codes come from.</summary>
    public Zoning Zoning { get; }

    /// <summary>QPV codes of the zoning.</summary>
    public FrozenSet<string> Qpv { get; }

    /// <summary>Commune INSEE codes.</summary>
    public FrozenSet<string> Communes { get; }

    /// <summary>The EPCI's code (one element).</summary>
    public FrozenSet<string> Epci { get; }

    /// <summary>The codes of a contract's territory for a dataset (cached per contract and zoning).</summary>
    public static GeoCodes For(Contract contract, DatasetDeclaration dataset)
    {
        var byZoning = Cache.GetValue(contract, c => [new GeoCodes(c, Zoning.Qpv2024), new GeoCodes(c, Zoning.Qpv2015)]);
        return byZoning[dataset.Zoning == Zoning.Qpv2015 ? 1 : 0];
    }

    /// <summary>The closed list of codes of a level; null for IRIS (checked by prefix).</summary>
    public FrozenSet<string>? Listed(GeoLevel level) => level switch
    {
        GeoLevel.Qpv => Qpv,
        GeoLevel.Commune => Communes,
        GeoLevel.Epci => Epci,
        _ => null,
    };

    /// <summary>Whether a code of a level belongs to the territory.</summary>
    public bool InTerritory(GeoLevel level, string code) => level == GeoLevel.Iris
        ? Identifiers.IsIrisCode(code) && Communes.Contains(code[..5])
        : Listed(level)!.Contains(code);

    /// <summary>Whether a code has the shape of a code of that level (to tell a typo from a code of elsewhere).</summary>
    public bool IsWellFormed(GeoLevel level, string code) => level switch
    {
        GeoLevel.Qpv => Zoning == Zoning.Qpv2015 ? Identifiers.IsQpv2015Code(code) : Identifiers.IsQpv2024Code(code),
        GeoLevel.Commune => Identifiers.IsCommuneCode(code),
        GeoLevel.Iris => Identifiers.IsIrisCode(code),
        GeoLevel.Epci => Identifiers.IsSiren(code),
        _ => false,
    };
}
