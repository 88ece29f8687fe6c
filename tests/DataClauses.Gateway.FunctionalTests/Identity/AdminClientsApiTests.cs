using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Identity;

/// <summary>/api/v1/admin/clients: an admin manages its own organisation's clients, and every change is audited.</summary>
public abstract class AdminClientsApiTests(GatewayFixture fixture)
{
    private const string Clients = "api/v1/admin/clients";

    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task Admin_lists_only_the_clients_of_its_own_organisation()
    {
        using var admin = await Host.ClientForAsync("caf-44", "admin");

        var clients = await admin.GetFromJsonAsync<JsonElement>(Clients);

        var organisations = clients.EnumerateArray().Select(c => c.GetProperty("organisation").GetString()).Distinct().ToList();
        organisations.ShouldBe(["caf-44"]);
        var ids = clients.EnumerateArray().Select(c => c.GetProperty("clientId").GetString()).ToList();
        ids.ShouldContain("caf-44-publisher");
        ids.ShouldNotContain("epci-demo-admin");
        clients.EnumerateArray().SelectMany(c => c.EnumerateObject()).Select(p => p.Name).Distinct()
            .ShouldBe(["clientId", "organisation", "roles", "description", "disabled", "createdAt", "secretRotatedAt", "person", "createdBy", "confirmedBy", "actsFor"], ignoreOrder: true);
    }

    [Fact]
    public async Task Created_client_gets_its_secret_once_and_only_a_hash_of_it_is_stored()
    {
        using var admin = await Host.ClientForAsync("caf-44", "admin");
        var clientId = NewId("caf-44");

        using var response = await admin.PostAsJsonAsync(Clients, new { clientId, roles = new[] { "publisher", "dpo" }, description = "Nightly export" });

        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        response.Headers.Location!.ToString().ShouldBe($"/api/v1/admin/clients/{clientId}");
        var body = await GatewayHost.JsonOf(response);
        var secret = body.GetProperty("clientSecret").GetString()!;
        secret.Length.ShouldBeGreaterThanOrEqualTo(43);
        var client = body.GetProperty("client");
        client.GetProperty("clientId").GetString().ShouldBe(clientId);
        client.GetProperty("organisation").GetString().ShouldBe("caf-44");
        client.GetProperty("roles").EnumerateArray().Select(r => r.GetString()).ShouldBe(["publisher", "dpo"]);
        client.GetProperty("disabled").GetBoolean().ShouldBeFalse();

        var stored = (string)(await Host.Database.ScalarAsync($"SELECT \"ClientSecret\" FROM \"OpenIddictApplications\" WHERE \"ClientId\" = '{clientId}'"))!;
        stored.ShouldNotBe(secret);
        stored.ShouldNotContain(secret);
        var listed = await admin.GetStringAsync(Clients);
        listed.ShouldContain(clientId);
        listed.ShouldNotContain(secret);
        listed.ShouldNotContain(stored);
    }

    [Fact]
    public async Task Created_client_obtains_an_access_token_for_its_organisation_and_roles()
    {
        using var admin = await Host.ClientForAsync("caf-44", "admin");
        var (clientId, secret) = await CreateAsync(admin, "caf-44", "steward");

        var token = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().ReadJsonWebToken(await Host.GetTokenAsync(clientId, secret));

        token.Subject.ShouldBe(clientId);
        token.GetClaim("org").Value.ShouldBe("caf-44");
        token.GetPayloadValue<string[]>("roles").ShouldBe(["steward"]);
    }

    [Fact]
    public async Task Disabled_client_can_no_longer_obtain_tokens_and_enabled_again_it_can()
    {
        using var admin = await Host.ClientForAsync("caf-44", "admin");
        var (clientId, secret) = await CreateAsync(admin, "caf-44", "publisher");

        using (var disable = await admin.PostAsync($"{Clients}/{clientId}/disable", null))
        {
            disable.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await GatewayHost.JsonOf(disable)).GetProperty("disabled").GetBoolean().ShouldBeTrue();
        }

        using (var refused = await Host.RequestTokenAsync(clientId, secret))
        {
            await refused.ShouldBeOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        }

        using (var enable = await admin.PostAsync($"{Clients}/{clientId}/enable", null))
        {
            enable.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using var accepted = await Host.RequestTokenAsync(clientId, secret);
        accepted.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Rotated_secret_replaces_the_old_one()
    {
        using var admin = await Host.ClientForAsync("caf-44", "admin");
        var (clientId, oldSecret) = await CreateAsync(admin, "caf-44", "publisher");

        using var rotated = await admin.PostAsync($"{Clients}/{clientId}/secret", null);

        rotated.StatusCode.ShouldBe(HttpStatusCode.OK, await rotated.Content.ReadAsStringAsync());
        var newSecret = (await GatewayHost.JsonOf(rotated)).GetProperty("clientSecret").GetString()!;
        newSecret.ShouldNotBe(oldSecret);
        using (var old = await Host.RequestTokenAsync(clientId, oldSecret))
        {
            await old.ShouldBeOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        }

        using var fresh = await Host.RequestTokenAsync(clientId, newSecret);
        fresh.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Admin_of_another_organisation_cannot_disable_rotate_or_enable_a_client()
    {
        using var cafAdmin = await Host.ClientForAsync("caf-44", "admin");
        var (clientId, secret) = await CreateAsync(cafAdmin, "caf-44", "publisher");
        using var epciAdmin = await Host.ClientForAsync("epci-demo", "admin");

        foreach (var action in new[] { "disable", "secret", "enable" })
        {
            using var response = await epciAdmin.PostAsync($"{Clients}/{clientId}/{action}", null);
            await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
        }

        using var stillWorks = await Host.RequestTokenAsync(clientId, secret);
        stillWorks.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Admin_cannot_act_on_a_client_that_does_not_exist()
    {
        using var admin = await Host.ClientForAsync("caf-44", "admin");

        using var response = await admin.PostAsync($"{Clients}/no-such-client/disable", null);

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Publisher_cannot_call_the_admin_endpoints()
    {
        using var publisher = await Host.ClientForAsync("caf-44", "publisher");

        using (var list = await publisher.GetAsync(Clients))
        {
            await list.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        }

        using (var create = await publisher.PostAsJsonAsync(Clients, new { clientId = NewId("caf-44"), roles = new[] { "admin" } }))
        {
            await create.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        }

        using var rotate = await publisher.PostAsync($"{Clients}/caf-44-publisher/secret", null);
        await rotate.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Every_admin_endpoint_checks_the_role_and_the_organisation_of_every_demo_account()
    {
        using var cafAdmin = await Host.ClientForAsync("caf-44", "admin");
        var (target, _) = await CreateAsync(cafAdmin, "caf-44", "publisher");
        var wrong = new List<string>();

        foreach (var (organisation, role) in DemoAccounts.All)
        {
            using var client = await Host.ClientForAsync(organisation, role);
            var isAdmin = DemoAccounts.RoleOf(role) == "admin";
            var ownsTarget = isAdmin && organisation == "caf-44";
            var expected = new (string Method, string Path, HttpStatusCode Status)[]
            {
                ("GET", Clients, isAdmin ? HttpStatusCode.OK : HttpStatusCode.Forbidden),
                ("POST", Clients, isAdmin ? HttpStatusCode.Created : HttpStatusCode.Forbidden),
                ("POST", $"{Clients}/{target}/disable", ownsTarget ? HttpStatusCode.OK : isAdmin ? HttpStatusCode.NotFound : HttpStatusCode.Forbidden),
                ("POST", $"{Clients}/{target}/enable", ownsTarget ? HttpStatusCode.OK : isAdmin ? HttpStatusCode.NotFound : HttpStatusCode.Forbidden),
                ("POST", $"{Clients}/{target}/secret", ownsTarget ? HttpStatusCode.OK : isAdmin ? HttpStatusCode.NotFound : HttpStatusCode.Forbidden),
            };
            foreach (var (method, path, status) in expected)
            {
                using var response = method == "GET"
                    ? await client.GetAsync(path)
                    : path == Clients
                        ? await client.PostAsJsonAsync(path, new { clientId = NewId(organisation), roles = new[] { "analyst" } })
                        : await client.PostAsync(path, null);
                if (response.StatusCode != status)
                {
                    wrong.Add($"{organisation}/{role} {method} {path}: {(int)response.StatusCode}, expected {(int)status}");
                }
            }
        }

        wrong.ShouldBeEmpty();
    }

    [Fact]
    public async Task Invalid_client_is_refused_with_a_validation_problem_naming_each_field()
    {
        using var admin = await Host.ClientForAsync("caf-44", "admin");

        using var response = await admin.PostAsJsonAsync(Clients, new { clientId = "Bad Id!", roles = new[] { "superuser" }, description = new string('x', 501) });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
        var fields = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ToList();
        fields.ShouldContain("clientId");
        fields.ShouldContain(f => f!.StartsWith("roles", StringComparison.Ordinal));
        fields.ShouldContain("description");
        (await Host.Database.ScalarAsync("SELECT COUNT(*) FROM clients WHERE client_id = 'Bad Id!'")).ShouldBe(0L);
    }

    [Fact]
    public async Task Client_without_roles_is_refused_with_a_validation_problem()
    {
        using var admin = await Host.ClientForAsync("caf-44", "admin");

        using var response = await admin.PostAsJsonAsync(Clients, new { clientId = NewId("caf-44") });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
        problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ShouldContain("roles");
    }

    [Fact]
    public async Task Malformed_json_body_is_refused_with_a_400_problem()
    {
        using var admin = await Host.ClientForAsync("caf-44", "admin");

        using var response = await admin.PostAsync(Clients, new StringContent("{\"clientId\": ", System.Text.Encoding.UTF8, "application/json"));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Duplicate_client_id_is_refused_with_409()
    {
        using var admin = await Host.ClientForAsync("caf-44", "admin");
        var (clientId, _) = await CreateAsync(admin, "caf-44", "publisher");

        using var response = await admin.PostAsJsonAsync(Clients, new { clientId, roles = new[] { "publisher" } });

        await response.ShouldBeProblemAsync(HttpStatusCode.Conflict, "client-exists");
    }

    [Fact]
    public async Task Concurrent_creations_of_one_client_id_give_one_201_and_409_for_the_others()
    {
        using var admin = await Host.ClientForAsync("caf-44", "admin");
        var clientId = NewId("caf-44");

        var statuses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await admin.PostAsJsonAsync(Clients, new { clientId, roles = new[] { "publisher" } });
            return response.StatusCode;
        }));

        statuses.Count(s => s == HttpStatusCode.Created).ShouldBe(1, string.Join(", ", statuses));
        statuses.Count(s => s == HttpStatusCode.Conflict).ShouldBe(7, string.Join(", ", statuses));
        (await Host.ReadAuditAsync()).Count(r => r.Event.Action == "client.created" && r.Event.Details["clientId"] == clientId).ShouldBe(1);
    }

    [Fact]
    public async Task Admin_token_without_an_organisation_cannot_manage_clients()
    {
        var (key, _) = await Host.GetSigningKeyAsync();
        var now = Host.Clock.GetUtcNow().UtcDateTime;
        var token = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Issuer = GatewayHost.Issuer,
            Audience = GatewayHost.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(5),
            TokenType = "at+jwt",
            SigningCredentials = new Microsoft.IdentityModel.Tokens.SigningCredentials(key, "ES256"),
            Claims = new Dictionary<string, object>(StringComparer.Ordinal) { ["sub"] = "orphan", ["roles"] = new[] { "admin" } },
        });
        using var orphan = Host.WithToken(token);

        using var list = await orphan.GetAsync(Clients);
        using var create = await orphan.PostAsJsonAsync(Clients, new { clientId = "orphan-client", roles = new[] { "admin" } });

        await list.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await create.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        (await Host.Database.ScalarAsync("SELECT COUNT(*) FROM clients WHERE client_id = 'orphan-client'")).ShouldBe(0L);
    }

    [Fact]
    public async Task Client_id_of_another_organisation_is_refused_with_409_whoever_asks()
    {
        using var admin = await Host.ClientForAsync("epci-demo", "admin");

        using var response = await admin.PostAsJsonAsync(Clients, new { clientId = "caf-44-publisher", roles = new[] { "publisher" } });

        await response.ShouldBeProblemAsync(HttpStatusCode.Conflict, "client-exists");
    }

    [Fact]
    public async Task Each_admin_change_is_recorded_as_one_audit_event_by_the_admin()
    {
        using var admin = await Host.ClientForAsync("caf-44", "admin");
        var clientId = NewId("caf-44");
        var steps = new (string Action, Func<Task<HttpResponseMessage>> Send)[]
        {
            ("client.created", () => admin.PostAsJsonAsync(Clients, new { clientId, roles = new[] { "publisher" } })),
            ("client.disabled", () => admin.PostAsync($"{Clients}/{clientId}/disable", null)),
            ("client.enabled", () => admin.PostAsync($"{Clients}/{clientId}/enable", null)),
            ("client.secret-rotated", () => admin.PostAsync($"{Clients}/{clientId}/secret", null)),
        };

        foreach (var (action, send) in steps)
        {
            using var response = await send();
            response.IsSuccessStatusCode.ShouldBeTrue(await response.Content.ReadAsStringAsync());
            var correlationId = response.Headers.GetValues("X-Correlation-Id").Single();
            var events = (await Host.ReadAuditAsync()).Where(r => r.Event.CorrelationId == correlationId).ToList();
            events.Count.ShouldBe(1, action);
            events[0].Event.Action.ShouldBe(action);
            events[0].Event.Outcome.ShouldBe("success");
            events[0].Event.Actor.Subject.ShouldBe("caf-44-admin");
            events[0].Event.Actor.Organisation.ShouldBe("caf-44");
            events[0].Event.Details["clientId"].ShouldBe(clientId);
        }

        (await Host.VerifyAuditChainAsync()).Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task Refused_admin_changes_leave_no_audit_event_and_no_change()
    {
        using var admin = await Host.ClientForAsync("caf-44", "admin");
        var (clientId, _) = await CreateAsync(admin, "caf-44", "publisher");
        using var other = await Host.ClientForAsync("epci-demo", "admin");

        using var response = await other.PostAsync($"{Clients}/{clientId}/disable", null);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var correlationId = response.Headers.GetValues("X-Correlation-Id").Single();
        (await Host.ReadAuditAsync()).ShouldNotContain(r => r.Event.CorrelationId == correlationId && r.Event.Action.StartsWith("client.", StringComparison.Ordinal));
        var disabled = await Host.Database.ScalarAsync($"SELECT disabled FROM clients WHERE client_id = '{clientId}'");
        Convert.ToBoolean(disabled, System.Globalization.CultureInfo.InvariantCulture).ShouldBeFalse();
    }

    private static string NewId(string organisation) => $"{organisation}-t{Guid.NewGuid():N}"[..Math.Min(organisation.Length + 14, 100)];

    private static async Task<(string ClientId, string Secret)> CreateAsync(HttpClient admin, string organisation, string role)
    {
        var clientId = NewId(organisation);
        using var response = await admin.PostAsJsonAsync(Clients, new { clientId, roles = new[] { role } });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (clientId, (await GatewayHost.JsonOf(response)).GetProperty("clientSecret").GetString()!);
    }
}

public sealed class AdminClientsApiTests_on_Sqlite(SqliteGateway fixture) : AdminClientsApiTests(fixture), IClassFixture<SqliteGateway>;

public sealed class AdminClientsApiTests_on_PostgreSql(PostgreSqlGateway fixture) : AdminClientsApiTests(fixture), IClassFixture<PostgreSqlGateway>;
