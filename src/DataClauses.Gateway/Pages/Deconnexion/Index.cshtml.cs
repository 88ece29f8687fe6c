using DataClauses.Gateway.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataClauses.Gateway.Pages.Deconnexion;

/// <summary>Sign-out (<c>POST /deconnexion</c>, antiforgery-checked; a GET only shows the button, so a link cannot sign anyone out).</summary>
[AllowAnonymous]
internal sealed class IndexModel(PeopleSignIn signIn) : PageModel
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var session = await HttpContext.AuthenticateAsync(PeopleAuthentication.Scheme);
        if (session.Succeeded)
        {
            await HttpContext.SignOutAsync(PeopleAuthentication.Scheme);
            await signIn.RecordSignOutAsync(session.Principal, cancellationToken);
        }

        return LocalRedirect(PeopleAuthentication.SignInPath);
    }
}
