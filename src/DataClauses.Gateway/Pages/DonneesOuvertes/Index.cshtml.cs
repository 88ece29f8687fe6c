using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Queries;
using DataClauses.Policy.Model;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace DataClauses.Gateway.Pages.DonneesOuvertes;

/// <summary>One open-tier clause in force: what anyone may download.</summary>
internal sealed record OpenClause(Contract Contract, Clause Clause, DatasetDeclaration Dataset);

/// <summary>
/// <c>/donnees-ouvertes</c>, public (no sign-in): the clauses of the open tier in force, each with its French CSV — the
/// protected aggregate the clause allows (its dimensions and measures, for its first purpose), answered by
/// <see cref="QueryService"/> for an anonymous requester, which the policy engine permits on an open clause only
/// (thresholds, rounding and secondary suppression apply as for anyone; <c>query.answered</c> is audited with the
/// anonymous actor) — and the DCAT-AP export. Rate-limited per address as the API.
/// </summary>
[AllowAnonymous]
[EnableRateLimiting(RateLimits.Api)]
internal sealed class IndexModel(ContractCatalog contracts, QueryService queries, TimeProvider clock) : PageModel
{
    /// <summary>The requester of a public download: no organisation of any contract, no role.</summary>
    private static readonly Caller Public = new("anonymous", null, "public", []);

    public IReadOnlyList<OpenClause> Clauses { get; private set; } = [];

    public void OnGet() => Clauses = InForce();

    /// <summary>The French CSV of an open clause's aggregate (the API's CSV, same bytes), or 404.</summary>
    public async Task<IActionResult> OnGetCsvAsync([FromQuery(Name = "clause")] string? clause, CancellationToken cancellationToken)
    {
        if (InForce().FirstOrDefault(c => c.Clause.Id == clause) is not { } open)
        {
            return NotFound();
        }

        var request = new QueryRequest
        {
            Dataset = open.Clause.Dataset,
            Purpose = open.Clause.Purposes[0],
            Dimensions = [.. open.Clause.Dimensions],
            Measures = [.. open.Clause.Measures],
        };
        var outcome = await queries.AnswerAsync(Public, request, "csv", withReasons: false, CorrelationId.Of(HttpContext), cancellationToken);
        if (outcome.Answer is not { } answer)
        {
            // Not published yet, or refused: the page says so rather than an error.
            Clauses = InForce();
            Unavailable = open.Clause.Id;
            Response.StatusCode = outcome.Problem?.Status ?? StatusCodes.Status404NotFound;
            return Page();
        }

        return File(answer.ToCsv(), "text/csv; charset=utf-8", $"{open.Clause.Id}_{answer.Opened.Version.Version}.csv");
    }

    /// <summary>The clause whose download is not available now.</summary>
    public string? Unavailable { get; private set; }

    private List<OpenClause> InForce()
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        return [.. contracts.Contracts.Contracts.Where(c => c.IsInForce(today))
            .SelectMany(c => c.ClausesAt(today).Where(x => x.Publication?.Tier == Tier.Open && c.FindDataset(x.Dataset) is not null)
                .Select(x => new OpenClause(c, x, c.FindDataset(x.Dataset)!)))];
    }
}
