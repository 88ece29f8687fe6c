using DataClauses.Policy.Model;

namespace DataClauses.Policy.Odrl;

/// <summary>Exports contracts as ODRL 2.2 JSON-LD so that dataspace connectors can read them.</summary>
public static class OdrlExporter
{
    /// <summary>The contracts as one ODRL JSON-LD document (a policy set per contract).</summary>
    public static string ToJsonLd(IReadOnlyList<Contract> contracts)
    {
        ArgumentNullException.ThrowIfNull(contracts);
        throw new NotSupportedException("ODRL export is being written.");
    }
}
