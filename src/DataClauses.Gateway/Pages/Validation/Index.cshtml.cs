using System.Text.Json;
using DataClauses.Gateway.Extracts;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Pages.Extractions;
using Microsoft.AspNetCore.Mvc;

namespace DataClauses.Gateway.Pages.Validation;

/// <summary>
/// <c>/validation</c>: a steward's queue (the API's <c>GET /extracts/queue</c>, steward role required) with the
/// decision explained and the four-eyes state; approve or reject with a reason (the API's votes, same checks, same
/// audit events). Anyone without the steward role gets the refusal page (403).
/// </summary>
internal sealed class IndexModel(ExtractWorkflow workflow) : RoleGatedPage
{
    /// <summary>The requests pending approval on the steward's organisation's datasets.</summary>
    public ExtractList? Queue { get; private set; }

    /// <summary>The extract a vote failed on, and why in French; or a field error on its comment.</summary>
    public (string Id, string Message, bool Comment)? Error { get; private set; }

    /// <summary>What was just done ("approuvee" or "refusee").</summary>
    [BindProperty(SupportsGet = true, Name = "fait")]
    public string? Done { get; set; }

    [BindProperty]
    public string? Commentaire { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var caller = Admit("/validation", out var refusal, Roles.Steward);
        return caller is null ? refusal! : await ShowAsync(caller, StatusCodes.Status200OK, cancellationToken);
    }

    public Task<IActionResult> OnPostApprouverAsync(string id, CancellationToken cancellationToken) => VoteAsync(id, ExtractVotes.Approve, cancellationToken);

    public Task<IActionResult> OnPostRefuserAsync(string id, CancellationToken cancellationToken) => VoteAsync(id, ExtractVotes.Reject, cancellationToken);

    private async Task<IActionResult> VoteAsync(string id, string vote, CancellationToken cancellationToken)
    {
        var caller = Admit("/validation", out var refusal, Roles.Steward);
        if (caller is null)
        {
            return refusal!;
        }

        // As the API: a request the steward may not see is not found; the comment is read by the API's reader.
        var extract = await workflow.FindVisibleAsync(id, caller, cancellationToken);
        if (extract is null)
        {
            Error = (id, ExtractPages.ProblemFr(ExtractWorkflow.NotFound(id)), false);
            return await ShowAsync(caller, StatusCodes.Status404NotFound, cancellationToken);
        }

        var errors = new List<FieldError>();
        var body = JsonSerializer.SerializeToElement(new Dictionary<string, string?> { ["comment"] = Commentaire ?? string.Empty });
        var comment = ExtractRequestReader.ReadComment(body, required: vote == ExtractVotes.Reject, errors);
        if (errors.Count > 0)
        {
            Error = (id, vote == ExtractVotes.Reject
                ? $"Pour refuser, indiquez le motif (au plus {ExtractRequestReader.MaxComment} caractères) : le demandeur le lira."
                : $"Le commentaire compte au plus {ExtractRequestReader.MaxComment} caractères.", true);
            return await ShowAsync(caller, StatusCodes.Status400BadRequest, cancellationToken);
        }

        var (_, problem) = await workflow.VoteAsync(extract, caller, vote, comment, cancellationToken);
        if (problem is not null)
        {
            Error = (id, ExtractPages.ProblemFr(problem), false);
            return await ShowAsync(caller, problem.Status, cancellationToken);
        }

        return Redirect("/validation?fait=" + (vote == ExtractVotes.Approve ? "approuvee" : "refusee"));
    }


    private async Task<IActionResult> ShowAsync(Caller caller, int status, CancellationToken cancellationToken)
    {
        Queue = await workflow.QueueAsync(caller, cancellationToken);
        Response.StatusCode = status;
        return Page();
    }
}
