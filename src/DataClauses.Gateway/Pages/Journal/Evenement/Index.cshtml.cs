using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Identity;
using Microsoft.AspNetCore.Mvc;

namespace DataClauses.Gateway.Pages.Journal.Evenement;

/// <summary>
/// <c>/audit/evenements/{sequence}</c>: one audit event with everything it records, its hash, its predecessor's hash
/// and the checkpoint that seals it. An event the DPO's organisation may not see is "introuvable" (404), as in the API.
/// </summary>
internal sealed class IndexModel(AuditExplorer explorer, AuditService audit) : RoleGatedPage
{
    public ExploredEventDetail Detail { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(string sequence, CancellationToken cancellationToken)
    {
        var caller = Admit("/audit/evenements/" + Uri.EscapeDataString(sequence), out var refusal, Roles.Dpo);
        if (caller is null)
        {
            return refusal!;
        }

        if (AuditExplorer.ParseSequence(sequence) is not { } number || await explorer.FindAsync(caller.Organisation, number, cancellationToken) is not { } detail)
        {
            return NotFound();
        }

        Detail = detail;
        await audit.RecordAsync(audit.Create(AuditActions.Read, "success") with
        {
            Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["resource"] = "event", ["sequence"] = sequence, ["via"] = "portal" },
        }, cancellationToken);
        return Page();
    }
}
