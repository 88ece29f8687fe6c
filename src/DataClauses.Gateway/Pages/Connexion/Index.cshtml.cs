using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Pages.Connexion;

/// <summary>
/// The sign-in page (<c>/connexion</c>): a local account's identifier and password, antiforgery-checked. The refusal
/// says the same thing whether the account exists or not; a locked account (or name) is told so. One button per
/// configured external provider (<see cref="SignInProviders"/>) starts a sign-in there.
/// </summary>
[AllowAnonymous]
internal sealed class IndexModel(PeopleSignIn signIn, IOptions<GatewayOptions> options) : PageModel
{
    internal const string RefusedMessage = "Identifiant ou mot de passe incorrect.";

    /// <summary>The identifier typed (kept on a refusal; the password never is).</summary>
    [BindProperty(Name = "identifiant")]
    public string? Identifiant { get; set; }

    [BindProperty(Name = "motDePasse")]
    public string? MotDePasse { get; set; }

    /// <summary>Where to go after signing in (a local URL only: /connect/authorize for the code flow).</summary>
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Error { get; private set; }

    /// <summary>The person already signed in on this browser, if any.</summary>
    public string? SignedInAs { get; private set; }

    /// <summary>Demo accounts are listed only on a demo node (<c>DataClauses:SeedDemo</c>).</summary>
    public bool Demo => options.Value.SeedDemo;

    /// <summary>The external providers offered, one button each.</summary>
    public IReadOnlyList<SignInProviderOptions> Providers => options.Value.Identity.SignInProviders.AsReadOnly();

    public async Task OnGetAsync([FromQuery(Name = "erreur")] string? erreur, [FromQuery(Name = "fournisseur")] string? fournisseur)
    {
        var provider = Providers.FirstOrDefault(p => p.Name == fournisseur);
        Error = erreur switch
        {
            SignInProviders.RefusedError => $"Votre compte {provider?.DisplayName ?? "externe"} ne vous donne aucun rôle sur ce nœud : connexion refusée.",
            SignInProviders.FailedError => $"La connexion avec {provider?.DisplayName ?? "le fournisseur d'identité"} a échoué. Réessayez.",
            _ => null,
        };
        AllowProviderRedirects();
        var session = await HttpContext.AuthenticateAsync(PeopleAuthentication.Scheme);
        SignedInAs = session.Succeeded ? session.Principal.FindFirst("name")?.Value ?? session.Principal.FindFirst(ClaimNames.Subject)?.Value : null;
    }

    /// <summary>Starts a sign-in with a configured provider (a redirect to its authorization endpoint, code + PKCE).</summary>
    public async Task<IActionResult> OnPostProviderAsync([FromForm(Name = "fournisseur")] string? fournisseur)
    {
        var provider = Providers.FirstOrDefault(p => p.Name == fournisseur);
        if (provider is null)
        {
            Error = "Fournisseur d'identité inconnu.";
            return Page();
        }

        var properties = new AuthenticationProperties { RedirectUri = ReturnUrl is { Length: > 0 } && Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/" };
        try
        {
            // Challenged here rather than through a ChallengeResult, so that an unreachable provider (no discovery
            // document) is a message on this page, not a 500.
            await HttpContext.ChallengeAsync(SignInProviders.SchemeOf(provider), properties);
            return new EmptyResult();
        }
        catch (InvalidOperationException)
        {
            Error = $"{provider.DisplayName} ne répond pas pour le moment. Réessayez plus tard.";
            AllowProviderRedirects();
            return Page();
        }
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(Identifiant) || string.IsNullOrEmpty(MotDePasse))
        {
            Error = "Saisissez votre identifiant et votre mot de passe.";
            return Page();
        }

        var result = await signIn.SignInAsync(Identifiant, MotDePasse, PeopleAuthentication.Scheme, cancellationToken);
        MotDePasse = null;
        switch (result.Status)
        {
            case PeopleSignInStatus.SignedIn:
                await HttpContext.SignInAsync(PeopleAuthentication.Scheme, result.Principal!);
                return LocalRedirect(ReturnUrl is { Length: > 0 } && Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/");
            case PeopleSignInStatus.LockedOut:
                Error = $"Compte verrouillé : trop de tentatives infructueuses. Réessayez dans {options.Value.Identity.Lockout.Duration.TotalMinutes:0} minutes.";
                return Page();
            default:
                Error = RefusedMessage;
                return Page();
        }
    }

    // The provider buttons' form is answered by a redirect to the provider: the page's CSP must allow it.
    private void AllowProviderRedirects()
    {
        var origins = Providers.Select(p => Uri.TryCreate(p.Authority, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : null)
            .OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (origins.Count > 0)
        {
            HttpContext.Items[WebPages.FormActionSourcesKey] = string.Join(' ', origins);
        }
    }
}
