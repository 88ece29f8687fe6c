using System.Net;
using Microsoft.Playwright;

namespace DataClauses.Portal.Tests;

/// <summary>
/// The portal's foundations in a real browser: the DSFR layout, the home page anonymous and signed in, the French 404
/// page, the keyboard path through the skip links, the DSFR's files actually loaded under the pages' CSP.
/// </summary>
public abstract class PortalPagesTests(PortalFixture portal)
{
    [Fact]
    public async Task Home_page_tells_an_anonymous_person_what_the_service_is_and_offers_to_sign_in()
    {
        await using var context = await portal.NewContextAsync();
        var page = await context.NewPageAsync();

        var response = await PageChecks.VisitAsync(page, portal, "/", "accueil-anonyme");

        response.Status.ShouldBe(200);
        (await page.TitleAsync()).ShouldContain("DataClauses");
        (await page.Locator("h1").InnerTextAsync()).ShouldContain("contrats de ville");
        (await page.Locator(".fr-header__service-title").InnerTextAsync()).ShouldBe("DataClauses");
        var signIn = page.Locator("main a", new PageLocatorOptions { HasTextString = "Se connecter" });
        (await signIn.GetAttributeAsync("href")).ShouldBe("/connexion");
        (await page.Locator("main section[aria-labelledby^='role-']").CountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Home_page_shows_a_signed_in_person_what_their_roles_let_them_do_and_no_more()
    {
        // A demo account drawn at random (one role each): its role's card is shown, no other role's.
        var seed = Random.Shared.Next();
        var accounts = global::DataClauses.Gateway.Demo.DemoAccounts.All;
        var (organisation, account) = accounts[new Random(seed).Next(accounts.Count)];
        var role = global::DataClauses.Gateway.Demo.DemoAccounts.RoleOf(account);
        var because = $"seed {seed}: {account}@{organisation}";
        await using var context = await portal.NewContextAsync();
        var page = await context.NewPageAsync();

        // Signed in as a person does it: the sign-in page (checked like every page), the form, the session cookie.
        await PageChecks.VisitAsync(page, portal, "/connexion", "connexion");
        await PortalFixture.SignInAsync(page, organisation, account);
        await PageChecks.CheckAsync(page, "/");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(portal.ScreenshotDirectory, $"accueil-{role}.png"), FullPage = true });
        (await page.Locator("#personne-connectee").CountAsync()).ShouldBe(1, because);

        (await page.Locator("main").InnerTextAsync()).ShouldContain(organisation, customMessage: because);
        foreach (var other in new[] { "publisher", "analyst", "steward", "dpo", "admin" })
        {
            (await page.Locator($"main section[aria-labelledby='role-{other}']").CountAsync()).ShouldBe(other == role ? 1 : 0, $"{because}: card of {other}");
        }

        (await page.Locator($"section[aria-labelledby='role-{role}'] .fr-card__footer a").CountAsync()).ShouldBeGreaterThan(0, because);
        (await page.Locator("a", new PageLocatorOptions { HasTextString = "Se connecter" }).CountAsync()).ShouldBe(0, because);
    }

    [Fact]
    public async Task Unknown_page_is_the_French_404_page_in_the_layout_while_the_API_keeps_its_problem()
    {
        var path = "/nulle-part-" + Guid.NewGuid().ToString("N")[..8];
        await using var context = await portal.NewContextAsync();
        var page = await context.NewPageAsync();

        var response = await PageChecks.VisitAsync(page, portal, path, "page-introuvable");

        response.Status.ShouldBe(404);
        (await page.Locator("h1").InnerTextAsync()).ShouldBe("Page introuvable");
        (await page.TitleAsync()).ShouldBe("Page introuvable — DataClauses");
        (await page.Locator("footer#pied-de-page").CountAsync()).ShouldBe(1);
        page.Url.ShouldEndWith(path);

        using var api = await portal.Gateway.Http.GetAsync("api/v1" + path);
        api.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        api.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        using var direct = new HttpRequestMessage(HttpMethod.Get, "introuvable");
        direct.Headers.Accept.ParseAdd("text/html");
        using var asked = await portal.Gateway.Http.SendAsync(direct);
        asked.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task First_Tab_focuses_the_skip_link_visibly_and_Enter_moves_focus_to_the_main_content()
    {
        await using var context = await portal.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");

        await page.Keyboard.PressAsync("Tab");

        (await page.EvaluateAsync<string>("() => document.activeElement.textContent.trim()")).ShouldBe("Aller au contenu");
        (await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle")).ShouldNotBe("none");
        (await page.EvaluateAsync<bool>("() => { const r = document.activeElement.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.top >= 0; }"))
            .ShouldBeTrue("the focused skip link must be visible");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(portal.ScreenshotDirectory, "lien-d-evitement.png") });

        await page.Keyboard.PressAsync("Enter");

        (await page.EvaluateAsync<string>("() => document.activeElement.id")).ShouldBe("contenu");
        (await page.EvaluateAsync<string>("() => document.activeElement.tagName")).ShouldBe("MAIN");
    }

    [Fact]
    public async Task DSFR_styles_fonts_and_script_load_under_the_pages_content_security_policy()
    {
        // No CSP bypass here: what a person's browser does with the headers the gateway sends.
        await using var context = await portal.NewContextAsync(bypassCsp: false);
        var page = await context.NewPageAsync();
        var refused = new List<string>();
        var failed = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                refused.Add(message.Text);
            }
        };
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                failed.Add($"{response.Status} {response.Url}");
            }
        };

        var response = await page.GotoAsync("/");
        await page.EvaluateAsync("() => document.fonts.ready");
        await page.WaitForFunctionAsync("() => document.documentElement.getAttribute('data-fr-js') === 'true'");

        var headers = await response!.AllHeadersAsync();
        headers["content-security-policy"].ShouldContain("default-src 'self'");
        headers["content-security-policy"].ShouldContain("frame-ancestors 'none'");
        headers["x-content-type-options"].ShouldBe("nosniff");
        headers["referrer-policy"].ShouldBe("same-origin");
        (await page.EvaluateAsync<string>("() => getComputedStyle(document.body).fontFamily")).ShouldStartWith("Marianne");
        (await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('main .fr-btn')).backgroundColor")).ShouldBe("rgb(0, 0, 145)");
        (await page.EvaluateAsync<bool>("() => [...document.fonts].some(f => f.family.includes('Marianne') && f.status === 'loaded')")).ShouldBeTrue();
        var font = await context.APIRequest.GetAsync("/dsfr/fonts/Marianne-Regular.woff2");
        font.Status.ShouldBe(200);
        font.Headers["content-type"].ShouldBe("font/woff2");
        font.Headers["cache-control"].ShouldContain("max-age");
        refused.ShouldBeEmpty();
        failed.ShouldBeEmpty();
    }
}

[Collection(SqlitePortal.Collection)]
public sealed class PortalPagesTests_on_Sqlite(SqlitePortal portal) : PortalPagesTests(portal);

[Collection(PostgreSqlPortal.Collection)]
public sealed class PortalPagesTests_on_PostgreSql(PostgreSqlPortal portal) : PortalPagesTests(portal);
