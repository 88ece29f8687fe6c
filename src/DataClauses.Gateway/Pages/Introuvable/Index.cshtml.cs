using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataClauses.Gateway.Pages.Introuvable;

/// <summary>
/// The French 404 page a browser gets for an unknown page (see <see cref="Hosting.WebPages"/>). Asked for directly, it
/// is not found itself, and so answers with the same page and status.
/// </summary>
internal sealed class IndexModel : PageModel
{
    /// <summary>The path the person asked for.</summary>
    public string? RequestedPath { get; private set; }

    public IActionResult OnGet()
    {
        var reExecute = HttpContext.Features.Get<IStatusCodeReExecuteFeature>();
        if (reExecute is null)
        {
            return NotFound();
        }

        RequestedPath = reExecute.OriginalPath;
        return Page();
    }
}
