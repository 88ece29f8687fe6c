using DataClauses.Audit;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Identity;
using Microsoft.AspNetCore.Mvc;

namespace DataClauses.Gateway.Pages.Journal;

/// <summary>
/// <c>/audit</c>: the DPO's audit explorer (the events of <c>GET /api/v1/audit/events</c>, through
/// <see cref="AuditExplorer"/>: about the organisation's datasets or by its people), filtered by period, actor, the
/// actor's organisation, dataset, event type and effect, fifty at a time; the chain's status (last checkpoint, last
/// verification) and "vérifier maintenant" (recorded as <c>audit.verified</c>, as the API's). DPO role only (403).
/// </summary>
internal sealed class IndexModel(AuditExplorer explorer, AuditService audit, ContractCatalog contracts) : RoleGatedPage
{
    public const int PageSize = 50;

    [BindProperty(SupportsGet = true, Name = "du")] public string? Du { get; set; }

    [BindProperty(SupportsGet = true, Name = "au")] public string? Au { get; set; }

    [BindProperty(SupportsGet = true, Name = "acteur")] public string? Acteur { get; set; }

    [BindProperty(SupportsGet = true, Name = "organisation")] public string? Organisation { get; set; }

    [BindProperty(SupportsGet = true, Name = "jeu")] public string? Jeu { get; set; }

    [BindProperty(SupportsGet = true, Name = "type")] public string? Type { get; set; }

    [BindProperty(SupportsGet = true, Name = "effet")] public string? Effet { get; set; }

    [BindProperty(SupportsGet = true, Name = "avant")] public string? Avant { get; set; }

    public AuditPage? Events { get; private set; }

    public Dictionary<string, string> Errors { get; } = new(StringComparer.Ordinal);

    public AuditCheckpoint? LastCheckpoint { get; private set; }

    public AuditEvent? LastVerification { get; private set; }

    /// <summary>The verification just run ("vérifier maintenant").</summary>
    public AuditVerification? Verified { get; private set; }

    /// <summary>The organisations and datasets the filters offer.</summary>
    public IReadOnlyList<(string Id, string Name)> Organisations { get; private set; } = [];

    public IReadOnlyList<(string Id, string Title)> Datasets { get; private set; } = [];

    public Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) => ShowAsync(null, cancellationToken);

    public async Task<IActionResult> OnPostVerifierAsync(CancellationToken cancellationToken)
    {
        if (Admit("/audit", out var refusal, Roles.Dpo) is null)
        {
            return refusal!;
        }

        return await ShowAsync(await explorer.VerifyAsync(audit, null, null, cancellationToken), cancellationToken);
    }

    /// <summary>The link to the next page, with the same filters.</summary>
    public string NextHref(long before)
    {
        var query = new Dictionary<string, string?>
        {
            ["du"] = Du, ["au"] = Au, ["acteur"] = Acteur, ["organisation"] = Organisation, ["jeu"] = Jeu, ["type"] = Type, ["effet"] = Effet,
            ["avant"] = before.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/audit", query.Where(q => !string.IsNullOrEmpty(q.Value)));
    }

    private async Task<IActionResult> ShowAsync(AuditVerification? verified, CancellationToken cancellationToken)
    {
        var caller = Admit("/audit", out var refusal, Roles.Dpo);
        if (caller is null)
        {
            return refusal!;
        }

        Verified = verified;
        var signed = contracts.SignedBy(caller.Organisation);
        Organisations = [.. signed.SelectMany(c => c.Signatories).DistinctBy(s => s.Id).Select(s => (s.Id, s.Name))];
        Datasets = [.. signed.SelectMany(c => c.Datasets).DistinctBy(d => d.Id).Select(d => (d.Id, d.Title))];
        var from = JournalPages.Day(Du, "du", Errors);
        var to = JournalPages.Day(Au, "au", Errors)?.AddDays(1);
        if (from is not null && to is not null && to <= from)
        {
            Errors["au"] = "La fin de la période doit suivre son début.";
        }

        if (Effet is not (null or "" or "permit" or "deny"))
        {
            Errors["effet"] = "Choisissez un effet de la liste.";
        }

        var before = AuditExplorer.ParseSequence(Avant);
        if (!string.IsNullOrEmpty(Avant) && before is null)
        {
            Errors["avant"] = "La page demandée n’existe pas.";
        }

        (LastCheckpoint, LastVerification) = await explorer.StatusAsync(cancellationToken);
        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var filter = new AuditFilter
        {
            From = from,
            To = to,
            Actor = Blank(Acteur),
            ActorOrganisation = Blank(Organisation),
            Dataset = Blank(Jeu),
            Action = Blank(Type),
            Effect = Blank(Effet),
            Before = before,
        };
        Events = await explorer.ReadAsync(caller.Organisation, filter, PageSize, cancellationToken);
        var details = filter.Described();
        details["resource"] = "events";
        details["via"] = "portal";
        details["count"] = Events.Events.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await audit.RecordAsync(audit.Create(AuditActions.Read, "success") with { Details = details }, cancellationToken);
        return Page();
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

}
