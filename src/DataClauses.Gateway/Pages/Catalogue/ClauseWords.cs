using System.Globalization;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Pages.Catalogue;

/// <summary>The words of the contracts in plain French, for the analysts' pages (catalogue, dataset, queries).</summary>
internal static class ClauseWords
{
    public static readonly CultureInfo French = CultureInfo.GetCultureInfo("fr-FR");

    /// <summary>The theme of a dataset, from the kind of its provider (the contracts declare no theme).</summary>
    public static string Theme(OrganisationKind? kind) => kind switch
    {
        OrganisationKind.Caf => "Prestations sociales",
        OrganisationKind.FranceTravail => "Emploi",
        OrganisationKind.Bailleur => "Logement",
        _ => "Autre",
    };

    public static string Geography(GeoLevel level) => level switch
    {
        GeoLevel.Iris => "IRIS",
        GeoLevel.Qpv => "quartier prioritaire (QPV)",
        GeoLevel.Commune => "commune",
        _ => "EPCI",
    };

    public static string Tier(Tier tier) => tier switch
    {
        Policy.Model.Tier.Open => "ouvert",
        Policy.Model.Tier.Aggregated => "agrégé",
        _ => "protégé",
    };

    public static string Kind(OrganisationKind kind) => kind switch
    {
        OrganisationKind.State => "services de l’État",
        OrganisationKind.Epci => "EPCI",
        OrganisationKind.Commune => "communes",
        OrganisationKind.Caf => "CAF",
        OrganisationKind.Bailleur => "bailleurs sociaux",
        OrganisationKind.FranceTravail => "France Travail",
        _ => kind.ToWire(),
    };

    public static string Role(string role) => role switch
    {
        "analyst" => "analystes",
        "steward" => "responsables des données",
        "dpo" => "délégués à la protection des données",
        "publisher" => "équipes de publication",
        "admin" => "administrateurs",
        _ => role,
    };

    public static string Approval(ApprovalMode mode) => mode switch
    {
        ApprovalMode.Automatic => "automatique, sans validation",
        ApprovalMode.Steward => "validée par un responsable des données du producteur",
        _ => "validée par deux responsables des données distincts du producteur (quatre yeux)",
    };

    public static string Rounding(RoundingMode mode) => mode switch
    {
        RoundingMode.None => "aucun arrondi",
        _ => "arrondi " + mode.ToWire(),
    };

    /// <summary>An ISO 8601 duration in words ("1 an", "9 mois").</summary>
    public static string Duration(IsoDuration duration)
    {
        var parts = new List<string>();
        Add(parts, duration.Years, "an", "ans");
        Add(parts, duration.Months, "mois", "mois");
        Add(parts, duration.Weeks, "semaine", "semaines");
        Add(parts, duration.Days, "jour", "jours");
        return parts.Count == 0 ? duration.ToString() : string.Join(" et ", parts);
    }

    public static string Purpose(Contract contract, string purpose) =>
        contract.Purposes.FirstOrDefault(p => p.Id == purpose)?.Label is { } label ? $"{label} ({purpose})" : purpose;

    public static string Organisation(Contract contract, string organisation) => contract.FindSignatory(organisation)?.Name ?? organisation;

    /// <summary>Who may use the clause: organisations, kinds of organisation, roles.</summary>
    public static string Recipients(Contract contract, Clause clause)
    {
        if (clause.Publication?.Tier == Policy.Model.Tier.Open)
        {
            return "tous les signataires (données ouvertes)";
        }

        var who = clause.Recipients.Organisations.Select(o => Organisation(contract, o))
            .Concat(clause.Recipients.Kinds.Select(k => "les " + Kind(k)))
            .ToList();
        var text = who.Count == 0 ? "aucun destinataire" : string.Join(", ", who);
        return clause.Recipients.Roles.Count == 0 ? text : $"{text} — rôles : {string.Join(", ", clause.Recipients.Roles.Select(Role))}";
    }

    /// <summary>The disclosure thresholds of a clause in a sentence.</summary>
    public static string Thresholds(Clause clause, string unit)
    {
        var rules = clause.Disclosure;
        var parts = new List<string> { $"au moins {rules.MinCount} {unit} par case" };
        if (rules.Dominance is { } d)
        {
            parts.Add(string.Create(French, $"aucune case où {d.N} contributeur(s) font plus de {d.K} % du total"));
        }

        if (rules.PPercent is { } p)
        {
            parts.Add(string.Create(French, $"règle du p % ({p} %)"));
        }

        parts.Add(Rounding(rules.Rounding));
        parts.Add(rules.SecondarySuppression ? "secret secondaire appliqué" : "sans secret secondaire");
        return string.Join(" ; ", parts);
    }

    /// <summary>What the counts of a dataset count ("foyers", "demandeurs"): its first count measure.</summary>
    public static string Unit(DatasetDeclaration dataset) =>
        dataset.Measures.FirstOrDefault(m => m.Kind == MeasureKind.Count)?.Name ?? "contributeurs";

    private static void Add(List<string> parts, int value, string one, string many)
    {
        if (value > 0)
        {
            parts.Add(value.ToString(French) + " " + (value == 1 ? one : many));
        }
    }

    /// <summary>Where a dataset held by another node comes from, in French: the node, and how fresh its catalogue is.</summary>
    public static string? Holding(Federation.PeerCatalog? holder) => holder switch
    {
        null => null,
        { Stale: false } => $"détenu par le nœud {holder.Node}",
        { FetchedAt: { } at } => $"détenu par le nœud {holder.Node}, injoignable : état du {at.ToString("d MMMM yyyy 'à' HH:mm 'UTC'", French)}",
        _ => $"détenu par le nœud {holder.Node}, injoignable : catalogue pas encore reçu",
    };
}
