using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Pages.Extractions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataClauses.Gateway.Pages;

/// <summary>
/// A page only some roles of an organisation may use, checked as the API checks them (<see cref="ExtractPages.Admit"/>):
/// a person not signed in goes to the sign-in page; a person without the role gets the page's refusal (403, the view
/// shows <c>_Refus</c> when <see cref="Refused"/>).
/// </summary>
internal abstract class RoleGatedPage : PageModel
{
    /// <summary>Whether the person may not use the page.</summary>
    public bool Refused { get; private set; }

    /// <summary>The caller when the person holds one of <paramref name="roles"/>; otherwise null and what to answer.</summary>
    protected Caller? Admit(string path, out IActionResult? refusal, params string[] roles)
    {
        var caller = ExtractPages.Admit(User, path, out var signIn, out var refused, roles);
        refusal = null;
        if (caller is null)
        {
            Refused = refused;
            Response.StatusCode = StatusCodes.Status403Forbidden;
            refusal = signIn ?? Page();
        }

        return caller;
    }
}
