using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Pages.Publication.Publier;

/// <summary>
/// <c>/publication/{dataset}</c>: publishes a version from a CSV file chosen in the browser. The page's script sends
/// the file itself as the body of <c>PUT ?handler=Televerser</c> (antiforgery token in a header, a progress bar from
/// the upload's progress), which goes through <see cref="DatasetPublisher.PublishAsync"/> exactly as the API's upload:
/// streamed, never buffered whole, visible only once the whole file is valid and stored; the answer lists the refusal's
/// errors in French with their line and column. Publisher role of the dataset's provider only.
/// </summary>
internal sealed class IndexModel(DatasetPublisher publisher, IOptions<GatewayOptions> options) : RoleGatedPage
{
    public DatasetView Dataset { get; private set; } = null!;

    /// <summary>The largest file accepted, in bytes.</summary>
    public long MaxBytes => options.Value.Limits.MaxUploadBytes;

    public async Task<IActionResult> OnGetAsync(string dataset, CancellationToken cancellationToken)
    {
        var caller = Admit(PathOf(dataset), out var refusal, Roles.Publisher);
        if (caller is null)
        {
            return refusal!;
        }

        var (view, problem) = await publisher.GetAsync(caller, dataset, cancellationToken);
        if (view is null || problem is not null || view.Provider != caller.Organisation)
        {
            return NotFound();
        }

        Dataset = view;
        return Page();
    }

    /// <summary>The upload itself (the page's script): JSON with the version published, or the refusal in French.</summary>
    public async Task<IActionResult> OnPutTeleverserAsync(string dataset, [FromQuery(Name = "version")] string? version, CancellationToken cancellationToken)
    {
        var caller = Admit(PathOf(dataset), out _, Roles.Publisher);
        if (caller is null)
        {
            return new JsonResult(new { ok = false, title = "Vos rôles ne vous permettent pas de publier.", errors = Array.Empty<string>() }) { StatusCode = StatusCodes.Status403Forbidden };
        }

        // As the API: only this handler takes large bodies.
        var limit = options.Value.Limits.MaxUploadBytes;
        if (HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        var result = await publisher.PublishAsync(caller, dataset, version ?? string.Empty, UploadHttp.Of(Request, limit), cancellationToken);
        if (result.Problem is { } problem)
        {
            if (problem.Status == StatusCodes.Status413PayloadTooLarge)
            {
                Response.Headers.Connection = "close";
            }

            var errors = PublicationWords.Errors(problem);
            var count = problem.Extensions.GetValueOrDefault("errorCount") is { } n ? Convert.ToInt64(n, System.Globalization.CultureInfo.InvariantCulture) : errors.Count;
            return new JsonResult(new
            {
                ok = false,
                title = PublicationWords.Title(problem),
                errors,
                errorCount = count,
                truncated = problem.Extensions.GetValueOrDefault("truncated") as bool? ?? false,
            })
            { StatusCode = problem.Status };
        }

        var published = result.Published!;
        return new JsonResult(new
        {
            ok = true,
            redirect = "/publication?publie=" + Uri.EscapeDataString($"{dataset} {published.Version}"),
        })
        { StatusCode = StatusCodes.Status201Created };
    }

    private static string PathOf(string dataset) => "/publication/" + Uri.EscapeDataString(dataset);
}
