using System.Collections.Frozen;

namespace DataClauses.Policy.Engine;

/// <summary>
/// One reason of a decision: the rule that applied, the clause (and contract) it comes from, and the
/// offending value when there is one. Messages are built on demand so that deciding allocates nothing for them.
/// </summary>
/// <param name="Rule">Stable rule code (see <see cref="Rules"/>).</param>
/// <param name="ContractId">The contract, when one applies.</param>
/// <param name="ClauseId">The clause, when one applies.</param>
/// <param name="Subject">The value at fault (a dimension, a purpose…), when there is one.</param>
public readonly record struct Reason(string Rule, string? ContractId, string? ClauseId, string? Subject)
{
    /// <summary>The reason in French, for analysts.</summary>
    public string MessageFr => Format(Rules.Messages[Rule].Fr);

    /// <summary>The reason in English.</summary>
    public string MessageEn => Format(Rules.Messages[Rule].En);

    private string Format(string template) => template
        .Replace("{clause}", ClauseId ?? "-", StringComparison.Ordinal)
        .Replace("{contract}", ContractId ?? "-", StringComparison.Ordinal)
        .Replace("{subject}", Subject ?? "-", StringComparison.Ordinal);
}

/// <summary>The rules the engine applies, by stable code, with their French and English messages.</summary>
public static class Rules
{
    /// <summary>A clause permits the request.</summary>
    public const string ClausePermits = "clause-permits";

    /// <summary>A clause permits the request once its stewards approve.</summary>
    public const string ApprovalRequired = "approval-required";

    /// <summary>No contract governs the dataset.</summary>
    public const string NoClause = "no-clause";

    /// <summary>The contract is not in force at the request's time.</summary>
    public const string ContractNotInForce = "contract-not-in-force";

    /// <summary>No clause on the dataset is in force at the request's time.</summary>
    public const string NoClauseInForce = "no-clause-in-force";

    /// <summary>The purpose is prohibited by the contract.</summary>
    public const string ProhibitedPurpose = "prohibited-purpose";

    /// <summary>No purpose was declared.</summary>
    public const string PurposeMissing = "purpose-missing";

    /// <summary>The purpose is not in the contract's vocabulary.</summary>
    public const string UnknownPurpose = "unknown-purpose";

    /// <summary>The clause does not grant the purpose.</summary>
    public const string PurposeNotPermitted = "purpose-not-permitted";

    /// <summary>The requester's organisation is not a recipient.</summary>
    public const string RecipientNotPermitted = "recipient-not-permitted";

    /// <summary>The requester lacks the role the action needs.</summary>
    public const string RoleNotPermitted = "role-not-permitted";

    /// <summary>A dimension the clause does not allow.</summary>
    public const string DimensionNotAllowed = "dimension-not-allowed";

    /// <summary>A measure the clause does not allow.</summary>
    public const string MeasureNotAllowed = "measure-not-allowed";

    /// <summary>A filter on a dimension the clause does not allow.</summary>
    public const string FilterNotAllowed = "filter-not-allowed";

    /// <summary>A filter value the dataset does not declare.</summary>
    public const string FilterValueUnknown = "filter-value-unknown";

    /// <summary>A geographic filter value outside the contract's territory.</summary>
    public const string FilterOutsideTerritory = "filter-outside-territory";

    /// <summary>A geography finer than the clause's finest.</summary>
    public const string GeographyTooFine = "geography-too-fine";

    /// <summary>The request's zoning differs from the clause's.</summary>
    public const string ZoningMismatch = "zoning-mismatch";

    /// <summary>Only the provider may publish.</summary>
    public const string ProviderOnly = "provider-only";

    /// <summary>The request comes through a node the contract does not list.</summary>
    public const string UnknownNode = "unknown-node";

    /// <summary>An obligation the engine cannot express for this request (e.g. an extract under a clause with no retention).</summary>
    public const string ObligationUnsatisfiable = "obligation-unsatisfiable";

    /// <summary>French and English message templates by rule.</summary>
    public static readonly FrozenDictionary<string, (string Fr, string En)> Messages = new Dictionary<string, (string, string)>(StringComparer.Ordinal)
    {
        [ClausePermits] = ("Autorisé par la clause {clause} du contrat {contract}.", "Permitted by clause {clause} of contract {contract}."),
        [ApprovalRequired] = ("Autorisé par la clause {clause} sous réserve d'approbation ({subject}).", "Permitted by clause {clause} once approved ({subject})."),
        [NoClause] = ("Aucun contrat ne régit le jeu de données {subject}.", "No contract governs dataset {subject}."),
        [ContractNotInForce] = ("Le contrat {contract} n'est pas en vigueur le {subject}.", "Contract {contract} is not in force on {subject}."),
        [NoClauseInForce] = ("Aucune clause du contrat {contract} ne couvre le jeu de données {subject} à cette date.", "No clause of contract {contract} covers dataset {subject} at that time."),
        [ProhibitedPurpose] = ("La finalité {subject} est interdite par le contrat {contract}.", "Purpose {subject} is prohibited by contract {contract}."),
        [PurposeMissing] = ("Une finalité doit être déclarée (clause {clause}).", "A purpose must be declared (clause {clause})."),
        [UnknownPurpose] = ("La finalité {subject} n'existe pas dans le contrat {contract} (clause {clause}).", "Purpose {subject} is not defined by contract {contract} (clause {clause})."),
        [PurposeNotPermitted] = ("La clause {clause} n'autorise pas la finalité {subject} ; toute autre finalité est exclue.", "Clause {clause} does not permit purpose {subject}; any other purpose is excluded."),
        [RecipientNotPermitted] = ("L'organisation {subject} n'est pas destinataire de la clause {clause}.", "Organisation {subject} is not a recipient of clause {clause}."),
        [RoleNotPermitted] = ("Le rôle requis par la clause {clause} manque ({subject}).", "The role clause {clause} requires is missing ({subject})."),
        [DimensionNotAllowed] = ("La dimension {subject} n'est pas autorisée par la clause {clause}.", "Dimension {subject} is not allowed by clause {clause}."),
        [MeasureNotAllowed] = ("La mesure {subject} n'est pas autorisée par la clause {clause}.", "Measure {subject} is not allowed by clause {clause}."),
        [FilterNotAllowed] = ("Le filtre sur {subject} n'est pas autorisé par la clause {clause}.", "A filter on {subject} is not allowed by clause {clause}."),
        [FilterValueUnknown] = ("La valeur de filtre {subject} n'existe pas dans le jeu de données (clause {clause}).", "Filter value {subject} is not a value of the dataset (clause {clause})."),
        [FilterOutsideTerritory] = ("Le code {subject} est hors du territoire du contrat {contract} (clause {clause}).", "Code {subject} is outside the territory of contract {contract} (clause {clause})."),
        [GeographyTooFine] = ("La géographie {subject} est plus fine que celle permise par la clause {clause}.", "Geography {subject} is finer than clause {clause} allows."),
        [ZoningMismatch] = ("Le zonage {subject} ne correspond pas à celui de la clause {clause}.", "Zoning {subject} does not match the zoning of clause {clause}."),
        [ProviderOnly] = ("Seul le fournisseur désigné par la clause {clause} peut faire cela ({subject}).", "Only the provider named by clause {clause} may do this ({subject})."),
        [UnknownNode] = ("Le nœud {subject} n'est pas dans la liste de confiance du contrat {contract}.", "Node {subject} is not in the trust list of contract {contract}."),
        [ObligationUnsatisfiable] = ("Une obligation de la clause {clause} ne peut pas être respectée : {subject}.", "An obligation of clause {clause} cannot be met: {subject}."),
    }.ToFrozenDictionary(StringComparer.Ordinal);
}
