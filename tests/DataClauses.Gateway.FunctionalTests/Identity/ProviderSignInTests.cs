using System.Net;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace DataClauses.Gateway.FunctionalTests.Identity;

/// <summary>
/// A person signing in on /connexion with an external OpenID Connect provider (the test issuer as a real second
/// process, speaking for one organisation), browser-less: every redirect followed by hand; and the people cookie
/// re-validated against the account every few minutes.
/// </summary>
public abstract class ProviderSignInTests
{
    private const string ProviderName = "partenaire";
    private const string Organisation = "caf-44";
    private const string SessionCookie = "__dataclauses_session";

    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Provider_sign_in_with_code_and_pkce_sets_a_session_of_the_provider_s_organisation_with_the_allowed_roles_and_is_audited()
    {
        // The provider's own org claim (dgfip-35) is not trusted: the configured organisation is.
        await using var issuer = await StartIssuerAsync("analyst admin");
        await using var host = await StartGatewayAsync(issuer);
        var (client, cookies) = PeopleSignInTests.Browser(host);

        using var page = await client.GetAsync("connexion");
        var html = await page.Content.ReadAsStringAsync();
        html.ShouldContain("Se connecter avec ProConnect");
        page.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("form-action 'self' " + issuer.BaseAddress.GetLeftPart(UriPartial.Authority));

        var callback = await ChallengeAndAuthorizeAsync(client, html, issuer, returnUrl: "/?depuis=fournisseur");
        using var signedIn = await client.GetAsync(callback);

        signedIn.StatusCode.ShouldBe(HttpStatusCode.Found, await signedIn.Content.ReadAsStringAsync());
        signedIn.Headers.Location!.OriginalString.ShouldBe("/?depuis=fournisseur", "the local return address survives the round trip");
        cookies.GetCookies(host.BaseAddress)[SessionCookie].ShouldNotBeNull();
        var home = await client.GetStringAsync("/");
        home.ShouldContain($"<strong>{Organisation}</strong>");
        var audit = (await host.ReadAuditAsync()).Single(r => r.Event.Action == "person.signed-in").Event;
        audit.Actor.Subject.ShouldBe($"oidc:{ProviderName}:marie.dupont");
        audit.Actor.Organisation.ShouldBe(Organisation);
        audit.Actor.Roles.ShouldBe(["analyst"]);
        audit.Details["method"].ShouldBe("oidc:" + ProviderName);
    }

    [Fact]
    public async Task Provider_person_whose_roles_map_to_none_allowed_is_refused_with_a_french_message_and_audited()
    {
        await using var issuer = await StartIssuerAsync("admin");
        await using var host = await StartGatewayAsync(issuer);
        var (client, cookies) = PeopleSignInTests.Browser(host);
        var html = await client.GetStringAsync("connexion");

        var callback = await ChallengeAndAuthorizeAsync(client, html, issuer);
        using var refused = await client.GetAsync(callback);

        refused.StatusCode.ShouldBe(HttpStatusCode.Found);
        refused.Headers.Location!.OriginalString.ShouldStartWith("/connexion?erreur=refuse");
        cookies.GetCookies(host.BaseAddress)[SessionCookie].ShouldBeNull();
        PeopleSignInTests.ErrorOf(await client.GetStringAsync(refused.Headers.Location.OriginalString.TrimStart('/')))
            .ShouldBe("Votre compte ProConnect ne vous donne aucun rôle sur ce nœud : connexion refusée.");
        var audit = await host.ReadAuditAsync();
        audit.ShouldNotContain(r => r.Event.Action == "person.signed-in");
        var failure = audit.Single(r => r.Event.Action == "person.sign-in-failed").Event;
        failure.Actor.Subject.ShouldBe($"oidc:{ProviderName}:marie.dupont");
        failure.Details["reason"].ShouldBe("no allowed role");
        failure.Details["method"].ShouldBe("oidc:" + ProviderName);
    }

    [Fact]
    public async Task Callback_with_a_tampered_state_is_refused_and_audited()
    {
        await using var issuer = await StartIssuerAsync("analyst");
        await using var host = await StartGatewayAsync(issuer);
        var (client, cookies) = PeopleSignInTests.Browser(host);
        var html = await client.GetStringAsync("connexion");
        var callback = await ChallengeAndAuthorizeAsync(client, html, issuer);
        var query = QueryHelpers.ParseQuery(callback.Query);
        var state = query["state"].ToString();
        var seed = Random.Shared.Next();
        var position = new Random(seed).Next(state.Length - 1); // not the last character, whose low bits may be padding
        var tampered = state[..position] + (state[position] == 'A' ? 'B' : 'A') + state[(position + 1)..];

        using var response = await client.GetAsync(QueryHelpers.AddQueryString(callback.GetLeftPart(UriPartial.Path), new Dictionary<string, string?>
        {
            ["code"] = query["code"].ToString(),
            ["state"] = tampered,
            ["iss"] = query["iss"].ToString(),
        }));

        response.StatusCode.ShouldBe(HttpStatusCode.Found, $"seed {seed}");
        response.Headers.Location!.OriginalString.ShouldStartWith("/connexion?erreur=echec", customMessage: $"seed {seed}");
        cookies.GetCookies(host.BaseAddress)[SessionCookie].ShouldBeNull();
        var audit = await host.ReadAuditAsync();
        audit.ShouldNotContain(r => r.Event.Action == "person.signed-in");
        audit.Single(r => r.Event.Action == "person.sign-in-failed").Event.Details["reason"].ShouldBe("remote failure: Unable to unprotect the message.State.", $"seed {seed}");
    }

    [Fact]
    public async Task Challenge_of_a_provider_that_does_not_answer_is_a_french_message_on_the_page_not_a_500()
    {
        await using var host = await StartGatewayAsync(new Uri($"http://127.0.0.1:{TestIssuerProcess.FreePort()}/"));
        var (client, cookies) = PeopleSignInTests.Browser(host);
        var html = await client.GetStringAsync("connexion");

        using var response = await client.PostAsync("connexion?handler=Provider", new FormUrlEncodedContent(
        [
            new("__RequestVerificationToken", WebUtility.HtmlDecode(PeopleSignInTests.AntiforgeryField().Match(html).Groups[1].Value)),
            new("fournisseur", ProviderName),
        ]));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        PeopleSignInTests.ErrorOf(await response.Content.ReadAsStringAsync()).ShouldBe("ProConnect ne répond pas pour le moment. Réessayez plus tard.");
        cookies.GetCookies(host.BaseAddress)[SessionCookie].ShouldBeNull();
    }

    [Fact]
    public async Task Session_of_an_account_locked_since_sign_in_ends_at_the_next_check_and_other_sessions_stay()
    {
        await using var host = await GatewayHost.StartAsync(Provider);
        var locked = DemoAccounts.UserName("caf-44", "steward");
        var (victim, victimCookies) = PeopleSignInTests.Browser(host);
        var (other, _) = PeopleSignInTests.Browser(host);
        (await PeopleSignInTests.PostSignInAsync(victim, "connexion", locked, DemoAccounts.Password("caf-44", "steward"))).StatusCode.ShouldBe(HttpStatusCode.Found);
        (await PeopleSignInTests.PostSignInAsync(other, "connexion", DemoAccounts.UserName("caf-44", "dpo"), DemoAccounts.Password("caf-44", "dpo"))).StatusCode.ShouldBe(HttpStatusCode.Found);
        var (attacker, _) = PeopleSignInTests.Browser(host);
        for (var i = 0; i < 5; i++)
        {
            using var failed = await PeopleSignInTests.PostSignInAsync(attacker, "connexion", locked, "Wrong-password-" + i);
        }

        // Within the interval the cookie is trusted as it is.
        host.Clock.Advance(TimeSpan.FromMinutes(4));
        (await victim.GetStringAsync("connexion")).ShouldContain("connecté·e en tant que");

        host.Clock.Advance(TimeSpan.FromMinutes(2));
        (await victim.GetStringAsync("connexion")).ShouldNotContain("connecté·e en tant que");
        (await other.GetStringAsync("connexion")).ShouldContain("connecté·e en tant que");
        (await victim.GetStringAsync("connexion")).ShouldNotContain("connecté·e en tant que");
        victimCookies.GetCookies(host.BaseAddress)[SessionCookie].ShouldBeNull();
        (await host.ReadAuditAsync()).Where(r => r.Event.Action == "person.session-ended").Select(r => r.Event.Actor.Subject).ShouldBe([locked]);
    }

    /// <summary>POSTs the provider button, checks the redirect to the provider (PKCE) and follows it; the provider's redirect back.</summary>
    private static async Task<Uri> ChallengeAndAuthorizeAsync(HttpClient client, string html, TestIssuerProcess issuer, string returnUrl = "")
    {
        var token = PeopleSignInTests.AntiforgeryField().Match(html);
        token.Success.ShouldBeTrue(html);
        using var challenge = await client.PostAsync("connexion?handler=Provider", new FormUrlEncodedContent(
        [
            new("__RequestVerificationToken", WebUtility.HtmlDecode(token.Groups[1].Value)),
            new("ReturnUrl", returnUrl),
            new("fournisseur", ProviderName),
        ]));
        challenge.StatusCode.ShouldBe(HttpStatusCode.Found, await challenge.Content.ReadAsStringAsync());
        var authorize = challenge.Headers.Location!;
        authorize.GetLeftPart(UriPartial.Path).ShouldBe(issuer.Issuer + "connect/authorize");
        var parameters = QueryHelpers.ParseQuery(authorize.Query);
        parameters["code_challenge_method"].ToString().ShouldBe("S256");
        parameters["code_challenge"].ToString().Length.ShouldBe(43);
        parameters["response_type"].ToString().ShouldBe("code");

        using var approved = await client.GetAsync(authorize);
        approved.StatusCode.ShouldBe(HttpStatusCode.Found, await approved.Content.ReadAsStringAsync() + issuer.Output);
        var callback = approved.Headers.Location!;
        callback.AbsolutePath.ShouldBe("/signin-oidc-" + ProviderName);
        QueryHelpers.ParseQuery(callback.Query).ShouldContainKey("code");
        return callback;
    }

    private static Task<TestIssuerProcess> StartIssuerAsync(string roles) => TestIssuerProcess.StartAsync("dgfip-35", roles, "dataclauses-partners");

    private Task<GatewayHost> StartGatewayAsync(TestIssuerProcess issuer) => StartGatewayAsync(issuer.BaseAddress);

    private Task<GatewayHost> StartGatewayAsync(Uri issuer) => GatewayHost.StartAsync(Provider, new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        ["DataClauses:Identity:SignInProviders:0:Name"] = ProviderName,
        ["DataClauses:Identity:SignInProviders:0:DisplayName"] = "ProConnect",
        ["DataClauses:Identity:SignInProviders:0:Authority"] = issuer.AbsoluteUri,
        ["DataClauses:Identity:SignInProviders:0:ClientId"] = "test-portal",
        ["DataClauses:Identity:SignInProviders:0:Organisation"] = Organisation,
        ["DataClauses:Identity:SignInProviders:0:RolesClaim"] = "roles",
        ["DataClauses:Identity:SignInProviders:0:AllowedRoles:0"] = "analyst",
        ["DataClauses:Identity:SignInProviders:0:AllowedRoles:1"] = "steward",
        ["DataClauses:Identity:SignInProviders:0:RequireHttpsMetadata"] = "false",
    });
}

public sealed class ProviderSignInTests_on_Sqlite : ProviderSignInTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class ProviderSignInTests_on_PostgreSql : ProviderSignInTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
