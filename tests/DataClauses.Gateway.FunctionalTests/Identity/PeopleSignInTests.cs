using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace DataClauses.Gateway.FunctionalTests.Identity;

/// <summary>A person signing in with a local account on /connexion, and the authorization code + PKCE flow behind it.</summary>
public abstract partial class PeopleSignInTests(GatewayFixture fixture)
{
    private const string ClientId = "dataclauses-cli";
    private const string RedirectUri = "http://127.0.0.1:7890/callback";
    private const string RefusedMessage = "Identifiant ou mot de passe incorrect.";

    private GatewayHost Host => fixture.Host;

    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Sign_in_form_round_trip_sets_a_session_cookie_redirects_and_is_audited()
    {
        var (organisation, role) = ("epci-demo", "analyst");
        var (client, cookies) = Browser(Host);

        using var page = await client.GetAsync("connexion");
        var html = await page.Content.ReadAsStringAsync();
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        html.ShouldContain("<html lang=\"fr\"");
        html.ShouldContain("<label class=\"fr-label\" for=\"identifiant\">");
        html.ShouldContain("<label class=\"fr-label\" for=\"motDePasse\">");
        html.ShouldContain(DemoAccounts.UserName(organisation, role)); // a demo node lists its accounts

        using var posted = await PostSignInAsync(client, "connexion", DemoAccounts.UserName(organisation, role), DemoAccounts.Password(organisation, role));

        posted.StatusCode.ShouldBe(HttpStatusCode.Found, await posted.Content.ReadAsStringAsync());
        posted.Headers.Location!.OriginalString.ShouldBe("/", "without a return address, sign-in lands on the home page");
        var session = cookies.GetCookies(Host.BaseAddress)["__dataclauses_session"];
        session.ShouldNotBeNull();
        session.HttpOnly.ShouldBeTrue();
        (await (await client.GetAsync("connexion")).Content.ReadAsStringAsync()).ShouldContain("connecté·e en tant que");
        var audit = (await Host.ReadAuditAsync()).Where(r => r.Event.Action == "person.signed-in" && r.Event.Actor.Subject == DemoAccounts.UserName(organisation, role)).ToList();
        audit.Count.ShouldBe(1);
        audit[0].Event.Actor.Organisation.ShouldBe(organisation);
    }

    [Fact]
    public async Task Wrong_password_and_unknown_account_get_the_same_refusal_and_both_are_audited_without_the_password()
    {
        var user = DemoAccounts.UserName("etat-prefecture", "analyst");
        var (client, cookies) = Browser(Host);
        var wrongPassword = "Wrong-" + Guid.NewGuid().ToString("N");

        using var wrong = await PostSignInAsync(client, "connexion", user, wrongPassword);
        using var unknown = await PostSignInAsync(client, "connexion", "nobody-" + Guid.NewGuid().ToString("N") + "@epci-demo", wrongPassword);

        wrong.StatusCode.ShouldBe(unknown.StatusCode);
        var wrongError = ErrorOf(await wrong.Content.ReadAsStringAsync());
        wrongError.ShouldBe(RefusedMessage);
        ErrorOf(await unknown.Content.ReadAsStringAsync()).ShouldBe(wrongError);
        cookies.GetCookies(Host.BaseAddress)["__dataclauses_session"].ShouldBeNull();
        var audit = await Host.ReadAuditAsync();
        audit.ShouldContain(r => r.Event.Action == "person.sign-in-failed" && r.Event.Actor.Subject == user && r.Event.Details["reason"] == "wrong password");
        audit.ShouldContain(r => r.Event.Action == "person.sign-in-failed" && r.Event.Actor.Subject == "unknown");
        audit.ShouldNotContain(r => JsonSerializer.Serialize(r.Event, (JsonSerializerOptions?)null).Contains(wrongPassword, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sign_in_post_without_antiforgery_token_is_refused_and_sets_no_session()
    {
        var (client, cookies) = Browser(Host);
        _ = await client.GetAsync("connexion"); // the antiforgery cookie alone is not enough

        using var response = await client.PostAsync("connexion", new FormUrlEncodedContent(
        [
            new("identifiant", DemoAccounts.UserName("caf-44", "steward")),
            new("motDePasse", DemoAccounts.Password("caf-44", "steward")),
        ]));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        cookies.GetCookies(Host.BaseAddress)["__dataclauses_session"].ShouldBeNull();
        (await Host.ReadAuditAsync()).ShouldNotContain(r => r.Event.Action == "person.signed-in" && r.Event.Actor.Subject == DemoAccounts.UserName("caf-44", "steward"));
    }

    [Fact]
    public async Task A_session_cookie_never_authenticates_an_api_call()
    {
        var (client, _) = Browser(Host);
        using var signedIn = await PostSignInAsync(client, "connexion", DemoAccounts.UserName("caf-44", "admin"), DemoAccounts.Password("caf-44", "admin"));
        signedIn.StatusCode.ShouldBe(HttpStatusCode.Found);

        using var response = await client.GetAsync("api/v1/admin/clients");

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Code_flow_with_pkce_signs_the_person_in_and_the_access_token_calls_the_api_with_the_person_s_organisation_and_roles()
    {
        var (organisation, role) = ("caf-44", "publisher");
        var (client, _) = Browser(Host);
        var verifier = NewVerifier();

        var tokens = await CodeFlowAsync(Host, client, organisation, role, verifier);

        var jwt = new JsonWebTokenHandler().ReadJsonWebToken(tokens.GetProperty("access_token").GetString());
        jwt.Subject.ShouldBe(DemoAccounts.UserName(organisation, role));
        jwt.GetClaim("org").Value.ShouldBe(organisation);
        jwt.Claims.Where(c => c.Type == "roles").Select(c => c.Value).ShouldBe([role]);
        jwt.GetClaim("client_id").Value.ShouldBe(ClientId);
        tokens.GetProperty("refresh_token").GetString().ShouldNotBeNullOrEmpty();
        using var api = Host.WithToken(jwt.EncodedToken);
        (await api.GetAsync("api/v1/catalog")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Host.ReadAuditAsync()).ShouldContain(r => r.Event.Action == "token.issued" && r.Event.Actor.Subject == DemoAccounts.UserName(organisation, role));
    }

    [Fact]
    public async Task A_code_is_refused_with_a_wrong_verifier_and_when_used_twice()
    {
        var (client, _) = Browser(Host);
        await SignInAsync(client, "ft-pdl", "publisher");
        var verifier = NewVerifier();

        var code = await AuthorizeAsync(client, Challenge(verifier), "S256");
        using var wrongVerifier = await RedeemAsync(Host, code, NewVerifier());
        var secondCode = await AuthorizeAsync(client, Challenge(verifier), "S256");
        using var first = await RedeemAsync(Host, secondCode, verifier);
        using var reused = await RedeemAsync(Host, secondCode, verifier);

        wrongVerifier.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await GatewayHost.JsonOf(wrongVerifier)).GetProperty("error").GetString().ShouldBe("invalid_grant");
        first.StatusCode.ShouldBe(HttpStatusCode.OK, await first.Content.ReadAsStringAsync());
        reused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await GatewayHost.JsonOf(reused)).GetProperty("error").GetString().ShouldBe("invalid_grant");
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("plain", true)]
    [InlineData("S256", false)]
    public async Task An_authorization_request_without_an_s256_challenge_is_refused(string? method, bool withChallenge)
    {
        var (client, _) = Browser(Host);
        await SignInAsync(client, "ft-pdl", "steward");
        var verifier = NewVerifier();
        var challenge = !withChallenge ? null : method == "plain" ? verifier : Challenge(verifier);

        using var response = await client.GetAsync(AuthorizeUrl(challenge, method));

        var location = response.Headers.Location?.OriginalString ?? string.Empty;
        location.ShouldNotContain("code=");
        (response.StatusCode == HttpStatusCode.BadRequest || location.Contains("error=invalid_request", StringComparison.Ordinal))
            .ShouldBeTrue($"{(int)response.StatusCode} {location} {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task Refresh_gives_a_new_access_token_once_and_a_revoked_or_used_refresh_token_is_refused()
    {
        var (client, _) = Browser(Host);
        var tokens = await CodeFlowAsync(Host, client, "bailleur-atlantique", "steward", NewVerifier());
        var firstRefresh = tokens.GetProperty("refresh_token").GetString()!;

        using var refreshed = await RefreshAsync(Host, firstRefresh);
        var refreshedJson = await GatewayHost.JsonOf(refreshed);
        refreshed.StatusCode.ShouldBe(HttpStatusCode.OK, refreshedJson.ToString());
        var secondRefresh = refreshedJson.GetProperty("refresh_token").GetString()!;
        secondRefresh.ShouldNotBe(firstRefresh);
        refreshedJson.GetProperty("access_token").GetString().ShouldNotBe(tokens.GetProperty("access_token").GetString());
        using (var api = Host.WithToken(refreshedJson.GetProperty("access_token").GetString()!))
        {
            (await api.GetAsync("api/v1/catalog")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using var revoked = await Host.Http.PostAsync("connect/revoke", new FormUrlEncodedContent(
            [new("token", secondRefresh), new("token_type_hint", "refresh_token"), new("client_id", ClientId)]));
        revoked.StatusCode.ShouldBe(HttpStatusCode.OK, await revoked.Content.ReadAsStringAsync());
        using var afterRevocation = await RefreshAsync(Host, secondRefresh);
        using var reused = await RefreshAsync(Host, firstRefresh);

        afterRevocation.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await GatewayHost.JsonOf(afterRevocation)).GetProperty("error").GetString().ShouldBe("invalid_grant");
        reused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await GatewayHost.JsonOf(reused)).GetProperty("error").GetString().ShouldBe("invalid_grant");
    }

    [Fact]
    public async Task Discovery_lists_the_authorization_endpoint_the_three_grants_and_only_s256()
    {
        var json = await GatewayHost.JsonOf(await Host.Http.GetAsync(".well-known/openid-configuration"));

        json.GetProperty("authorization_endpoint").GetString().ShouldBe(new Uri(Host.BaseAddress, "connect/authorize").ToString());
        json.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal)
            .ShouldBe(["authorization_code", "client_credentials", "refresh_token"]);
        json.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(e => e.GetString()).ShouldBe(["S256"]);
        json.GetProperty("response_types_supported").EnumerateArray().Select(e => e.GetString()).ShouldBe(["code"]);
    }

    [Fact]
    public async Task Lockout_after_failed_attempts_refuses_even_the_right_password_until_the_clock_passes_and_unknown_names_lock_alike()
    {
        await using var host = await GatewayHost.StartAsync(Provider, new Dictionary<string, string?>
        {
            ["DataClauses:Identity:Lockout:MaxFailedAttempts"] = "3",
            ["DataClauses:Identity:Lockout:Duration"] = "00:10:00",
        });
        var (organisation, role) = ("epci-demo", "dpo");
        var user = DemoAccounts.UserName(organisation, role);
        var unknown = "nobody@" + organisation;
        var (client, cookies) = Browser(host);

        var answers = new List<string>();
        var unknownAnswers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var failed = await PostSignInAsync(client, "connexion", user, "Wrong-password-" + i);
            answers.Add(ErrorOf(await failed.Content.ReadAsStringAsync()));
            using var failedUnknown = await PostSignInAsync(client, "connexion", unknown, "Wrong-password-" + i);
            unknownAnswers.Add(ErrorOf(await failedUnknown.Content.ReadAsStringAsync()));
        }

        using var rightButLocked = await PostSignInAsync(client, "connexion", user, DemoAccounts.Password(organisation, role));
        host.Clock.Advance(TimeSpan.FromMinutes(9));
        using var stillLocked = await PostSignInAsync(client, "connexion", user, DemoAccounts.Password(organisation, role));
        host.Clock.Advance(TimeSpan.FromMinutes(2));
        using var unlocked = await PostSignInAsync(client, "connexion", user, DemoAccounts.Password(organisation, role));

        answers.Take(2).ShouldAllBe(a => a == RefusedMessage);
        answers[2].ShouldStartWith("Compte verrouillé");
        unknownAnswers.ShouldBe(answers);
        ErrorOf(await rightButLocked.Content.ReadAsStringAsync()).ShouldStartWith("Compte verrouillé");
        ErrorOf(await stillLocked.Content.ReadAsStringAsync()).ShouldStartWith("Compte verrouillé");
        unlocked.StatusCode.ShouldBe(HttpStatusCode.Found);
        cookies.GetCookies(host.BaseAddress)["__dataclauses_session"].ShouldNotBeNull();
        var audit = (await host.ReadAuditAsync()).Where(r => r.Event.Actor.Subject == user).Select(r => (r.Event.Action, r.Event.Outcome)).ToList();
        audit.ShouldBe(
        [
            ("person.sign-in-failed", "failure"), ("person.sign-in-failed", "failure"), ("person.sign-in-failed", "failure"), ("person.locked-out", "denied"),
            ("person.sign-in-failed", "denied"), ("person.sign-in-failed", "denied"), ("person.signed-in", "success"),
        ]);
    }

    [Fact]
    public async Task A_session_cookie_set_by_one_replica_is_accepted_by_another_on_the_same_database()
    {
        await using var database = await TestDatabase.CreateAsync(Provider);
        await using var first = await GatewayHost.StartAsync(Provider, database: database);
        await using var second = await GatewayHost.StartAsync(Provider, database: database);
        var (client, cookies) = Browser(first);
        using var signedIn = await PostSignInAsync(client, "connexion", DemoAccounts.UserName("caf-44", "dpo"), DemoAccounts.Password("caf-44", "dpo"));
        signedIn.StatusCode.ShouldBe(HttpStatusCode.Found);
        var session = cookies.GetCookies(first.BaseAddress)["__dataclauses_session"]!;

        using var onSecond = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = second.BaseAddress };
        onSecond.DefaultRequestHeaders.Add("Cookie", $"{session.Name}={session.Value}");
        using var response = await onSecond.GetAsync(AuthorizeUrl(Challenge(NewVerifier()), "S256"));

        response.StatusCode.ShouldBe(HttpStatusCode.Found);
        response.Headers.Location!.OriginalString.ShouldStartWith(RedirectUri + "?code=");
    }

    internal static (HttpClient Client, CookieContainer Cookies) Browser(GatewayHost host)
    {
        var cookies = new CookieContainer();
        var client = new HttpClient(new SocketsHttpHandler { CookieContainer = cookies, UseCookies = true, AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };
        return (client, cookies);
    }

    /// <summary>GETs the sign-in page at this URL, reads its antiforgery token and posts the form back.</summary>
    internal static async Task<HttpResponseMessage> PostSignInAsync(HttpClient client, string url, string userName, string password)
    {
        using var page = await client.GetAsync(url);
        var html = await page.Content.ReadAsStringAsync();
        page.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        var token = AntiforgeryField().Match(html);
        token.Success.ShouldBeTrue(html);
        var returnUrl = ReturnUrlField().Match(html).Groups[1].Value;
        return await client.PostAsync(url, new FormUrlEncodedContent(
        [
            new("__RequestVerificationToken", WebUtility.HtmlDecode(token.Groups[1].Value)),
            new("ReturnUrl", WebUtility.HtmlDecode(returnUrl)),
            new("identifiant", userName),
            new("motDePasse", password),
        ]));
    }

    private static async Task SignInAsync(HttpClient client, string organisation, string role)
    {
        using var response = await PostSignInAsync(client, "connexion", DemoAccounts.UserName(organisation, role), DemoAccounts.Password(organisation, role));
        response.StatusCode.ShouldBe(HttpStatusCode.Found);
    }

    /// <summary>authorize → /connexion → sign in → authorize → code → token, as a browser and the CLI would.</summary>
    private static async Task<JsonElement> CodeFlowAsync(GatewayHost host, HttpClient client, string organisation, string role, string verifier)
    {
        using var authorize = await client.GetAsync(AuthorizeUrl(Challenge(verifier), "S256"));
        authorize.StatusCode.ShouldBe(HttpStatusCode.Found, await authorize.Content.ReadAsStringAsync());
        var signInUrl = authorize.Headers.Location!;
        var signInPath = signInUrl.IsAbsoluteUri ? signInUrl.PathAndQuery : signInUrl.OriginalString;
        signInPath.ShouldStartWith("/connexion?ReturnUrl=");

        using var signedIn = await PostSignInAsync(client, signInPath.TrimStart('/'), DemoAccounts.UserName(organisation, role), DemoAccounts.Password(organisation, role));
        signedIn.StatusCode.ShouldBe(HttpStatusCode.Found, await signedIn.Content.ReadAsStringAsync());
        signedIn.Headers.Location!.OriginalString.ShouldStartWith("/connect/authorize?");

        using var back = await client.GetAsync(signedIn.Headers.Location!.OriginalString.TrimStart('/'));
        var code = CodeOf(back);
        using var token = await RedeemAsync(host, code, verifier);
        var json = await GatewayHost.JsonOf(token);
        token.StatusCode.ShouldBe(HttpStatusCode.OK, json.ToString());
        return json;
    }

    private static async Task<string> AuthorizeAsync(HttpClient client, string challenge, string method)
    {
        using var response = await client.GetAsync(AuthorizeUrl(challenge, method));
        return CodeOf(response);
    }

    private static string CodeOf(HttpResponseMessage response)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.Found);
        var location = response.Headers.Location!.OriginalString;
        location.ShouldStartWith(RedirectUri + "?");
        location.ShouldContain("state=st4te");
        var query = location[(location.IndexOf('?', StringComparison.Ordinal) + 1)..].Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]), StringComparer.Ordinal);
        return query["code"];
    }

    private static string AuthorizeUrl(string? challenge, string? method)
    {
        var parameters = new List<string>
        {
            "client_id=" + ClientId,
            "response_type=code",
            "redirect_uri=" + Uri.EscapeDataString(RedirectUri),
            "scope=" + Uri.EscapeDataString("api offline_access"),
            "state=st4te",
        };
        if (challenge is not null)
        {
            parameters.Add("code_challenge=" + challenge);
        }

        if (method is not null)
        {
            parameters.Add("code_challenge_method=" + method);
        }

        return "connect/authorize?" + string.Join('&', parameters);
    }

    private static Task<HttpResponseMessage> RedeemAsync(GatewayHost host, string code, string verifier) =>
        host.Http.PostAsync("connect/token", new FormUrlEncodedContent(
        [
            new("grant_type", "authorization_code"),
            new("code", code),
            new("redirect_uri", RedirectUri),
            new("client_id", ClientId),
            new("code_verifier", verifier),
        ]));

    private static Task<HttpResponseMessage> RefreshAsync(GatewayHost host, string refreshToken) =>
        host.Http.PostAsync("connect/token", new FormUrlEncodedContent(
            [new("grant_type", "refresh_token"), new("refresh_token", refreshToken), new("client_id", ClientId)]));

    private static string NewVerifier() => Base64Url(RandomNumberGenerator.GetBytes(32));

    private static string Challenge(string verifier) => Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal static string ErrorOf(string html)
    {
        var match = ErrorParagraph().Match(html);
        match.Success.ShouldBeTrue(html);
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    internal static partial Regex AntiforgeryField();

    [GeneratedRegex("name=\"ReturnUrl\" value=\"([^\"]*)\"")]
    private static partial Regex ReturnUrlField();

    [GeneratedRegex("role=\"alert\" id=\"erreur\">\\s*<p>([^<]*)</p>")]
    private static partial Regex ErrorParagraph();
}

public sealed class PeopleSignInTests_on_Sqlite(SqliteGateway fixture) : PeopleSignInTests(fixture), IClassFixture<SqliteGateway>
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class PeopleSignInTests_on_PostgreSql(PostgreSqlGateway fixture) : PeopleSignInTests(fixture), IClassFixture<PostgreSqlGateway>
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
