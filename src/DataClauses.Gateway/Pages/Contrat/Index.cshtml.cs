using System.Globalization;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Identity;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataClauses.Gateway.Pages.Contrat;

/// <summary>
/// <c>/contrats/{id}</c>: a contract in readable French for every signatory and the steering committee — the parties,
/// the purposes (any other is excluded), the clauses in force on a chosen day (<c>?date=</c>, today by default), the
/// amendments in order with what each changed and from when, the governance, and the publication commitments against
/// what was published (<see cref="Commitments"/>, as <c>GET /api/v1/contracts/{id}/commitments</c>). The same contract
/// as YAML, JSON or ODRL is at <c>/api/v1/contracts/{id}</c>. Not a signatory: "introuvable", as in the API.
/// </summary>
[Authorize(AuthenticationSchemes = PeopleAuthentication.Scheme)]
internal sealed class IndexModel(ContractCatalog contracts, Commitments commitments, TimeProvider clock) : PageModel
{
    public Contract Contract { get; private set; } = null!;

    /// <summary>The day whose clauses are shown.</summary>
    public DateOnly Day { get; private set; }

    /// <summary>Today (the gateway's clock, UTC).</summary>
    public DateOnly Today { get; private set; }

    /// <summary>Whether <see cref="Day"/> is today.</summary>
    public bool IsToday { get; private set; }

    /// <summary>The date asked for could not be read (shown as a field error; today is shown instead).</summary>
    public string? DateError { get; private set; }

    [BindProperty(SupportsGet = true, Name = "date")]
    public string? Date { get; set; }

    public IReadOnlyList<Clause> Clauses { get; private set; } = [];

    public IReadOnlyList<CommitmentStatus> Commitments { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        if (contracts.ForSignatory(id, Caller.From(User).Organisation) is not { } contract)
        {
            return NotFound();
        }

        Contract = contract;
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        Today = today;
        Day = today;
        if (!string.IsNullOrWhiteSpace(Date))
        {
            if (DateOnly.TryParseExact(Date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var asked))
            {
                Day = asked;
            }
            else
            {
                DateError = "Saisissez une date au format AAAA-MM-JJ.";
            }
        }

        IsToday = Day == today;
        Clauses = contract.ClausesAt(Day);
        Commitments = await commitments.EvaluateAsync(contract, cancellationToken);
        return Page();
    }
}
