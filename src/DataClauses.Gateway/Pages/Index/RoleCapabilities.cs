using DataClauses.Gateway.Identity;

namespace DataClauses.Gateway.Pages.Index;

/// <summary>One thing a role lets a person do, in French, with where to do it.</summary>
internal sealed record Capability(string Text, string Href);

/// <summary>What one role lets a person do in their organisation.</summary>
internal sealed record RoleCapability(string Role, string Title, string Summary, IReadOnlyList<Capability> Capabilities);

/// <summary>
/// The roles of <see cref="Roles"/> told in French. The portal's own pages arrive feature by feature; until a feature
/// has its page, its link leads to the operations of the API documentation.
/// </summary>
internal static class RoleCapabilities
{
    private const string ApiDocs = "/api-docs";

    private static readonly RoleCapability[] All =
    [
        new(Roles.Publisher, "Publication",
            "Vous publiez les jeux de données de votre organisation sous les clauses des contrats qu’elle a signés.",
            [new("Voir nos jeux de données, leurs versions et le calendrier promis", "/publication"), new("Publier une version depuis un fichier CSV", "/publication"), new("Déclarer le schéma d’un jeu de données, au format de la passerelle ou Frictionless Table Schema (API)", ApiDocs)]),
        new(Roles.Analyst, "Analyse",
            "Vous consultez le catalogue, interrogez des agrégats protégés par le secret statistique pour une finalité déclarée et demandez des extractions.",
            [new("Consulter le catalogue", "/catalogue"), new("Interroger les agrégats protégés", "/requetes"), new("Demander une extraction", "/extractions/nouvelle"), new("Suivre mes extractions, les télécharger et attester leur suppression", "/extractions")]),
        new(Roles.Steward, "Validation des extractions",
            "Vous examinez les demandes d’extraction portant sur les jeux de données de votre organisation et les approuvez ou les refusez.",
            [new("Voir la file des demandes à valider", "/validation")]),
        new(Roles.Dpo, "Protection des données",
            "Vous auditez chaque accès aux jeux de données et aux personnes de votre organisation : qui, quoi, pour quelle finalité, sous quelle clause.",
            [new("Consulter, filtrer et vérifier le journal d’audit", "/audit"), new("Produire le rapport pour le label éthique (graphiques, CSV)", "/audit/rapport"), new("Suivre les engagements de publication des contrats", "/contrats")]),
        new(Roles.Admin, "Administration",
            "Vous gérez les clients API de votre organisation et consultez les contrats qui la lient.",
            [new("Consulter les contrats, leurs avenants et leurs engagements de publication", "/contrats"), new("Gérer les clients API (API)", ApiDocs)]),
    ];

    /// <summary>The capabilities of the given roles, in the order of <see cref="Roles.All"/>; unknown roles are ignored.</summary>
    public static IReadOnlyList<RoleCapability> For(IEnumerable<string> roles)
    {
        var held = roles.ToHashSet(StringComparer.Ordinal);
        return [.. All.Where(r => held.Contains(r.Role))];
    }
}
