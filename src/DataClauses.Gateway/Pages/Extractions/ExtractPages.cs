using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using DataClauses.Gateway.Extracts;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Storage;
using Microsoft.AspNetCore.Mvc;

namespace DataClauses.Gateway.Pages.Extractions;

/// <summary>One reason of a decision, in French, with the clause it comes from.</summary>
/// <param name="Clause">The clause, when one applies.</param>
/// <param name="Message">The reason in French.</param>
internal sealed record ReasonFr(string? Clause, string Message);

/// <summary>
/// What the extract pages share: the access check the extracts API applies (signed in, an organisation, the role),
/// statuses and problems told in French, the stored decision's reasons, the expiry countdown.
/// </summary>
internal static class ExtractPages
{
    private static readonly CultureInfo French = CultureInfo.GetCultureInfo("fr-FR");

    /// <summary>
    /// The caller when the person may use the page: the API's <c>RequireOrganisationRole</c> (an organisation and one
    /// of <paramref name="roles"/>); otherwise the sign-in page (anonymous) or null with <paramref name="refused"/> set.
    /// </summary>
    public static Caller? Admit(ClaimsPrincipal user, string path, out IActionResult? signIn, out bool refused, params string[] roles)
    {
        ArgumentNullException.ThrowIfNull(user);
        signIn = null;
        refused = false;
        if (user.Identity?.IsAuthenticated != true)
        {
            signIn = new RedirectResult("/connexion?ReturnUrl=" + Uri.EscapeDataString(path));
            return null;
        }

        var caller = Caller.From(user);
        if (caller.Organisation is not { Length: > 0 } || !roles.Any(caller.Has))
        {
            refused = true;
            return null;
        }

        return caller;
    }

    /// <summary>
    /// The status a person should read: a ready extract past its deadline is shown expired, as the API already refuses
    /// its download, even before the retention pass records the expiry.
    /// </summary>
    public static string ShownStatus(ExtractEntity extract, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(extract);
        return extract.Status == ExtractStatus.Ready && extract.RetentionDeadline <= now ? ExtractStatus.Expired : extract.Status;
    }

    /// <summary>A status in French.</summary>
    public static string StatusLabel(string status) => status switch
    {
        ExtractStatus.PendingApproval => "En attente de validation",
        ExtractStatus.Approved => "Approuvée",
        ExtractStatus.Producing => "En production",
        ExtractStatus.Ready => "Prête",
        ExtractStatus.Expired => "Expirée",
        ExtractStatus.Purged => "Purgée",
        ExtractStatus.Rejected => "Refusée par un responsable",
        ExtractStatus.Denied => "Refusée par les clauses",
        ExtractStatus.Failed => "En échec",
        _ => status,
    };

    /// <summary>The DSFR badge class of a status.</summary>
    public static string StatusBadge(string status) => status switch
    {
        ExtractStatus.Ready => "fr-badge--success",
        ExtractStatus.PendingApproval or ExtractStatus.Approved or ExtractStatus.Producing => "fr-badge--info",
        ExtractStatus.Rejected or ExtractStatus.Denied or ExtractStatus.Failed => "fr-badge--error",
        _ => "fr-badge--warning",
    };

    /// <summary>A vote in French.</summary>
    public static string VoteLabel(string decision) => decision == ExtractVotes.Approve ? "approuvé" : "refusé";

    /// <summary>A retention asked for, in months when the form wrote it (P12M), as written otherwise.</summary>
    public static string Retention(string iso) =>
        iso.Length > 2 && iso[0] == 'P' && iso[^1] == 'M' && int.TryParse(iso[1..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var months)
            ? $"{months.ToString(CultureInfo.InvariantCulture)} mois"
            : iso;

    /// <summary>An instant for people (UTC, French).</summary>
    public static string Date(DateTimeOffset instant) => instant.ToUniversalTime().ToString("d MMMM yyyy 'à' HH:mm 'UTC'", French);

    /// <summary>A day for people (French).</summary>
    public static string Day(DateTimeOffset instant) => instant.ToUniversalTime().ToString("d MMMM yyyy", French);

    /// <summary>Whole days left before the deadline (0 once passed), rounded up: "expire dans 1 jour" until the last second.</summary>
    public static int DaysLeft(ExtractEntity extract, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(extract);
        var left = extract.RetentionDeadline - now;
        return left <= TimeSpan.Zero ? 0 : (int)Math.Ceiling(left.TotalDays);
    }

    /// <summary>Whether the requester may attest deleting their copy now (the workflow's own rule).</summary>
    public static bool AttestationDue(ExtractEntity extract, DateTimeOffset now) =>
        extract.AttestedAt is null && ExtractProblems.NotAttestable(extract, now) is null;

    /// <summary>The approvals given and required, per providing organisation.</summary>
    public static IReadOnlyList<(string Organisation, int Given, int Required, IReadOnlyList<string> Stewards)> Approvals(ExtractEntity extract, IEnumerable<ExtractApprovalEntity> votes)
    {
        var all = votes.ToList();
        return [.. Extract.ApprovalsRequired(Extract.Tables(extract)).Select(r =>
        {
            var approvals = all.Where(v => v.Organisation == r.Key && v.Decision == ExtractVotes.Approve).Select(v => v.StewardSubject).ToList();
            return (r.Key, approvals.Count, r.Value, (IReadOnlyList<string>)approvals);
        })];
    }

    /// <summary>The reasons of the decision stored with the request, table by table, in French.</summary>
    public static IReadOnlyList<(string Dataset, IReadOnlyList<ReasonFr> Reasons)> Explanation(ExtractEntity extract)
    {
        ArgumentNullException.ThrowIfNull(extract);
        using var document = JsonDocument.Parse(extract.DecisionJson);
        var tables = new List<(string, IReadOnlyList<ReasonFr>)>();
        foreach (var table in document.RootElement.GetProperty("tables").EnumerateArray())
        {
            tables.Add((table.GetProperty("dataset").GetString()!, ReasonsOf(table.GetProperty("decision").GetProperty("reasons"))));
        }

        return tables;
    }

    /// <summary>The reasons of a problem (a policy refusal), in French; none when it has none.</summary>
    public static IReadOnlyList<ReasonFr> ReasonsOf(ApiProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return problem.Extensions.TryGetValue("reasons", out var reasons) && reasons is JsonElement element ? ReasonsOf(element) : [];
    }

    /// <summary>A problem of the workflow told in French.</summary>
    public static string ProblemFr(ApiProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return problem.Type switch
        {
            "forbidden" => "Les clauses du contrat ne permettent pas cette action.",
            "self-approval" => "Vous ne pouvez pas valider votre propre demande.",
            "same-person" => "Cette demande a déjà été approuvée par la même personne : la double validation exige deux personnes distinctes.",
            "already-voted" => "Vous vous êtes déjà prononcé·e sur cette demande.",
            "extract-not-pending" => "Cette demande n’attend plus de validation.",
            "not-found" => "Cette extraction n’existe pas ou ne vous est pas visible.",
            "version-not-found" => "La version demandée de ce jeu de données n’existe pas.",
            "cube-undefined" => "Ce tableau ne peut pas être produit avec ces dimensions et mesures.",
            "extract-not-expired" => "L’extraction n’a pas encore expiré : vous pourrez attester sa suppression à son échéance.",
            "nothing-to-attest" => "L’extraction n’a jamais été produite : il n’y a rien à supprimer.",
            "extract-not-ready" => "L’extraction n’est pas encore prête.",
            "extract-not-available" => "Cette extraction n’a pas de fichier.",
            "extract-expired" => "La durée de conservation de cette extraction est écoulée : ses fichiers sont en cours de suppression.",
            "extract-purged" => "Les fichiers de cette extraction ont été supprimés.",
            _ => "La demande n’a pas pu aboutir (" + problem.Type + ").",
        };
    }

    private static List<ReasonFr> ReasonsOf(JsonElement reasons) =>
    [
        .. reasons.EnumerateArray().Select(r => new ReasonFr(
            r.TryGetProperty("clause", out var clause) && clause.ValueKind == JsonValueKind.String ? clause.GetString() : null,
            r.GetProperty("message").GetProperty("fr").GetString() ?? string.Empty)),
    ];
}
