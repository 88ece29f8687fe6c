using DataClauses.Gateway.Extracts;
using DataClauses.Gateway.Identity;
using Microsoft.AspNetCore.Mvc;

namespace DataClauses.Gateway.Pages.Extractions;

/// <summary><c>/extractions</c>, "Mes extractions": the person's own requests (the API's <c>GET /extracts?mine=true</c>).</summary>
internal sealed class IndexModel(ExtractWorkflow workflow, TimeProvider clock) : RoleGatedPage
{
    /// <summary>The person's extracts with their votes, newest first.</summary>
    public ExtractList? Extracts { get; private set; }

    /// <summary>The instant the page is rendered at (for the countdowns).</summary>
    public DateTimeOffset Now { get; private set; }

    /// <summary>The id of an extract whose deletion was just attested.</summary>
    [BindProperty(SupportsGet = true, Name = "attestee")]
    public string? Attested { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var caller = Admit("/extractions", out var refusal, Roles.All);
        if (caller is null)
        {
            return refusal!;
        }

        Now = clock.GetUtcNow();
        Extracts = await workflow.ListAsync(caller, mine: true, status: null, cancellationToken);
        return Page();
    }
}
