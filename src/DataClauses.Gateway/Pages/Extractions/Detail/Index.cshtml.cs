using DataClauses.Gateway.Extracts;
using DataClauses.Gateway.Identity;
using Microsoft.AspNetCore.Mvc;

namespace DataClauses.Gateway.Pages.Extractions.Detail;

/// <summary>
/// <c>/extractions/{id}</c>: one extract as the API's <c>GET /extracts/{id}</c> shows it (visible to the same people),
/// with the decision explained in French and the votes; its requester downloads its files (<c>?handler=fichier</c>,
/// the API's download) and attests their deletion (<c>?handler=attester</c>, the API's attestation).
/// </summary>
internal sealed class IndexModel(ExtractWorkflow workflow, TimeProvider clock) : RoleGatedPage
{
    /// <summary>The extract, its votes and its files.</summary>
    public ExtractDetails? Details { get; private set; }

    /// <summary>Whether the person reading is the requester (the only one who downloads and attests).</summary>
    public bool IsRequester { get; private set; }

    /// <summary>The instant the page is rendered at.</summary>
    public DateTimeOffset Now { get; private set; }

    /// <summary>A problem of the last action, in French.</summary>
    public string? Error { get; private set; }

    /// <summary>Set after a request was just sent.</summary>
    [BindProperty(SupportsGet = true, Name = "demande")]
    public string? Sent { get; set; }

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        var caller = Admit(PathOf(id), out var refusal, Roles.All);
        return caller is null ? refusal! : await ShowAsync(id, caller, cancellationToken);
    }

    public async Task<IActionResult> OnGetFichierAsync(string id, string? format, string? table, CancellationToken cancellationToken)
    {
        var caller = Admit(PathOf(id), out var refusal, Roles.All);
        if (caller is null)
        {
            return refusal!;
        }

        var (download, problem) = await workflow.DownloadAsync(id, caller, format, table, cancellationToken);
        if (download is null)
        {
            Error = ExtractPages.ProblemFr(problem!);
            return problem!.Status == StatusCodes.Status404NotFound ? NotFound() : await ShowAsync(id, caller, cancellationToken, problem.Status);
        }

        Response.Headers.CacheControl = "no-store";
        var fileName = ExtractFiles.FileName(download.Extract, download.Tables, download.Format, download.TableIndex);
        return File(download.Content, download.Format == ExtractFiles.Csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8", fileName);
    }

    public async Task<IActionResult> OnPostAttesterAsync(string id, CancellationToken cancellationToken)
    {
        var caller = Admit(PathOf(id), out var refusal, Roles.All);
        if (caller is null)
        {
            return refusal!;
        }

        var (details, problem) = await workflow.AttestAsync(id, caller, cancellationToken);
        if (details is null)
        {
            Error = ExtractPages.ProblemFr(problem!);
            return problem!.Status == StatusCodes.Status404NotFound ? NotFound() : await ShowAsync(id, caller, cancellationToken, problem.Status);
        }

        return Redirect("/extractions?attestee=" + id);
    }


    private async Task<IActionResult> ShowAsync(string id, Caller caller, CancellationToken cancellationToken, int status = StatusCodes.Status200OK)
    {
        var (details, _) = await workflow.GetAsync(id, caller, cancellationToken);
        if (details is null)
        {
            return NotFound();
        }

        Details = details;
        IsRequester = details.Extract.RequesterSubject == caller.Subject;
        Now = clock.GetUtcNow();
        Response.StatusCode = status;
        return Page();
    }

    private static string PathOf(string id) => "/extractions/" + (Extract.IsId(id) ? id : string.Empty);
}
