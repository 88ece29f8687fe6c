using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Catalog;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using DataClauses.Gateway.Identity;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.FunctionalTests.Hostile;

/// <summary>
/// The findings of the hostile-input review (issue 12), each shown over HTTP against a real host: undecodable text,
/// other charsets, repeated members, NUL after a number, sums beyond exact arithmetic, forged log lines, re-encoded
/// token signatures, and tokens of disabled clients or rotated secrets where it matters.
/// </summary>
public abstract class HostileFindingsTests(HostileHostFixture fixture)
{
    private GatewayHost Host => fixture.Host;

    public static TheoryData<string, string, string, string, string, string> InvalidTextBodies => new()
    {
        // organisation, role, method, path, body ('¤' is the byte 0xFF), the field the problem must name
        { "epci-demo", "analyst", "POST", "api/v1/queries", """{"dataset":"caf-foyers-allocataires","purpose":"obs¤"}""", "purpose" },
        { "epci-demo", "analyst", "POST", "api/v1/queries", """{"dataset":"\ud800","purpose":"observation"}""", "dataset" },
        { "epci-demo", "analyst", "POST", "api/v1/policy/decisions", """{"dataset":"\ud800"}""", "dataset" },
        { "epci-demo", "analyst", "POST", "api/v1/indicators", """{"numerator":{"dataset":"x¤"}}""", "numerator.dataset" },
        { "epci-demo", "analyst", "POST", "api/v1/extracts", """{"tables":[{"dataset":"\udfff"}],"purpose":"observation"}""", "tables[0].dataset" },
        { "caf-44", "publisher", "PUT", "api/v1/datasets/caf-foyers-allocataires", """{"title":"Foyers ¤","fields":[]}""", "title" },
        { "caf-44", "admin", "POST", "api/v1/admin/clients", """{"clientId":"caf-44-text","roles":["analyst"],"description":"\ud800x"}""", "description" },
        { "caf-44", "admin", "POST", "api/v1/admin/clients", """{"clientId":"caf-44-text","roles":["analyst"],"des¤":"x"}""", "des\\ufffd" },
        { "epci-demo", "analyst", "POST", "api/v1/queries", """{"dataset":"caf-foyers-allocataires\u0000","purpose":"observation"}""", "dataset" },
        { "epci-demo", "analyst", "POST", "api/v1/extracts", """{"tables":[{"dataset":"caf-foyers-allocataires"}],"purpose":"observation\u0000"}""", "purpose" },
    };

    [Theory]
    [InlineData("caf-44", "dpo", "api/v1/audit/events?action=caf-foyers-allocataires%00&dataset=x", "action")]
    [InlineData("caf-44", "dpo", "api/v1/audit/events?dataset=caf%0Afoyers", "dataset")]
    [InlineData("epci-demo", "analyst", "api/v1/datasets?q=%00", "q")]
    public async Task A_control_character_in_a_query_parameter_is_a_400_problem_naming_the_parameter(string organisation, string role, string pathAndQuery, string field)
    {
        using var client = await Host.ClientForAsync(organisation, role);
        using var response = await client.GetAsync(new Uri(pathAndQuery, UriKind.Relative));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
        problem.GetProperty("errors")[0].GetProperty("field").GetString().ShouldBe(field);
    }

    [Theory]
    [MemberData(nameof(InvalidTextBodies))]
    public async Task Invalid_text_in_a_JSON_body_is_a_400_problem_naming_the_field_and_its_position(string organisation, string role, string method, string path, string body, string field)
    {
        using var client = await Host.ClientForAsync(organisation, role);
        using var response = await HostileRequests.SendAsync(client, new HttpMethod(method), path, HostileRequests.Bytes(body));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "invalid-json");
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            problem.GetProperty("field").GetString().ShouldBe(field);
        }
        else
        {
            // An undecodable member name has no faithful spelling: the problem says where it is.
            problem.GetProperty("field").GetString().ShouldNotBeNullOrEmpty();
        }

        problem.GetProperty("line").GetInt64().ShouldBe(1);
        problem.GetProperty("column").GetInt64().ShouldBeInRange(2, body.Length);
    }

    [Theory]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("application/json; charset=\"utf-32\"")]
    public async Task A_JSON_body_in_another_charset_than_UTF8_is_refused_with_415(string contentType)
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        using var admin = await Host.ClientForAsync("caf-44", "admin");
        using var query = await HostileRequests.SendAsync(analyst, HttpMethod.Post, "api/v1/queries", Encoding.UTF8.GetBytes("""{"dataset":"caf-foyers-allocataires","purpose":"observation"}"""), contentType);
        await query.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        using var create = await HostileRequests.SendAsync(admin, HttpMethod.Post, "api/v1/admin/clients", Encoding.UTF8.GetBytes("""{"clientId":"caf-44-charset","roles":["analyst"]}"""), contentType);
        await create.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        (await ClientIdsAsync(admin)).ShouldNotContain("caf-44-charset");

        using var utf8 = await HostileRequests.SendAsync(analyst, HttpMethod.Post, "api/v1/policy/decisions", Encoding.UTF8.GetBytes("""{"dataset":"caf-foyers-allocataires","purpose":"observation"}"""), "application/json; charset=UTF-8");
        utf8.StatusCode.ShouldNotBe(HttpStatusCode.UnsupportedMediaType, "utf-8, in any case, is accepted");
    }

    [Fact]
    public async Task A_repeated_member_is_refused_naming_it_and_the_admin_creates_no_client()
    {
        using var admin = await Host.ClientForAsync("caf-44", "admin");
        using var response = await HostileRequests.SendAsync(admin, HttpMethod.Post, "api/v1/admin/clients", Encoding.UTF8.GetBytes("""{"clientId":"caf-44-twice","roles":["analyst"],"roles":["admin"]}"""));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "invalid-json");
        problem.GetProperty("field").GetString().ShouldBe("roles");
        problem.GetProperty("column").GetInt64().ShouldBe(48);
        (await ClientIdsAsync(admin)).ShouldNotContain("caf-44-twice");

        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        using var nested = await HostileRequests.SendAsync(analyst, HttpMethod.Post, "api/v1/queries", Encoding.UTF8.GetBytes("""{"dataset":"caf-foyers-allocataires","purpose":"observation","filters":{"qpv":["QN04401M"],"qpv":["QN04402M"]}}"""));
        (await nested.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "invalid-json")).GetProperty("field").GetString().ShouldBe("filters.qpv");
    }

    [Fact]
    public async Task A_NUL_after_a_decimal_value_is_refused_at_its_line_and_column()
    {
        var csv = Publishing.ValidCsv(Publishing.Caf, 3).Replace(";101\n", ";101.5\0\n", StringComparison.Ordinal);
        csv.ShouldContain("\0");
        await ShouldRefuseCsvAsync(csv, 3, "invalid-number");
    }

    [Theory]
    [InlineData("1e308")]
    [InlineData("1e17")]
    [InlineData("90071992547410")]
    public async Task A_measure_beyond_exact_sums_is_refused_at_publication_with_its_line_and_column(string amount)
    {
        var csv = Publishing.ValidCsv(Publishing.Caf, 3).Replace(";101\n", $";{amount}\n", StringComparison.Ordinal);
        await ShouldRefuseCsvAsync(csv, 3, "value-too-large");
    }

    [Fact]
    public async Task Measures_whose_running_total_passes_exact_sums_are_refused_at_the_row_that_passes_it_and_one_row_less_is_published()
    {
        // 5e12 each: 18 rows add up to 9e13, under 2^53 hundredths (about 9.007e13); the 19th passes it.
        string Rows(int n) => Publishing.Header(Publishing.Caf) + "\n" + string.Concat(Enumerable.Range(0, n).Select(i =>
            Publishing.ValidRow(Publishing.Caf, i)[..Publishing.ValidRow(Publishing.Caf, i).LastIndexOf(';')] + ";5000000000000\n"));
        await ShouldRefuseCsvAsync(Rows(19), 20, "sum-too-large");

        using var publisher = await Host.ClientForAsync("caf-44", "publisher");
        var version = NewVersion();
        using var accepted = await Publishing.UploadAsync(publisher, Publishing.Caf, version, Rows(18));
        accepted.StatusCode.ShouldBe(HttpStatusCode.Created, await accepted.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_path_identifier_with_line_breaks_is_refused_before_any_endpoint_and_forges_no_log_line()
    {
        using var publisher = await Host.ClientForAsync("caf-44", "publisher");
        using var declare = await publisher.PutAsync("api/v1/datasets/caf%0d%0aFORGED-LINE%20admin%20logged%20in", new StringContent("{}", Encoding.UTF8, "application/json"));
        FieldOf(await declare.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation")).ShouldBe("datasetId");
        using var read = await publisher.GetAsync("api/v1/datasets/caf-foyers-allocataires/versions/v1%0aFORGED-LINE");
        FieldOf(await read.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation")).ShouldBe("version");
        using var admin = await Host.ClientForAsync("caf-44", "admin");
        using var disable = await admin.PostAsync("api/v1/admin/clients/x%0d%0aFORGED-LINE/disable", null);
        FieldOf(await disable.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation")).ShouldBe("clientId");

        // Whatever mentions the path keeps it on its own line (control characters escaped).
        fixture.Logs.Lines.Where(l => l.Contains("FORGED-LINE", StringComparison.Ordinal)).ShouldAllBe(l => !l.Any(char.IsControl));
    }

    [Fact]
    public async Task A_token_whose_signature_is_re_encoded_in_its_high_s_form_is_refused_and_not_remembered()
    {
        var tokens = new List<string>();
        for (var i = 0; i < 24; i++)
        {
            tokens.Add(await Host.GetDemoTokenAsync("epci-demo", "analyst"));
        }

        // The node signs only in the low-s form (without it about half of these would be high-s).
        tokens.ShouldAllBe(t => HostileRequests.SignatureS(t) <= HostileRequests.P256Order / 2);
        var cache = (ValidatedTokenCache)Host.Services.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>().Get(AuthenticationSetup.BuiltInScheme).TokenHandlers.Single();
        var before = cache.Count;
        var malleated = HostileRequests.Malleate(tokens[0]);
        malleated.ShouldNotBe(tokens[0]);

        using (var twin = Host.WithToken(malleated))
        using (var refused = await twin.GetAsync("api/v1/catalog"))
        {
            await refused.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        }

        cache.Count.ShouldBe(before);
        using var original = Host.WithToken(tokens[0]);
        using var accepted = await original.GetAsync("api/v1/catalog");
        accepted.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_disabled_clients_token_is_refused_for_administration_and_the_attempt_is_audited_while_other_endpoints_accept_it_until_expiry()
    {
        using var admin = await Host.ClientForAsync("caf-44", "admin");
        var (clientId, secret) = await CreateClientAsync(admin, "admin");
        using var second = Host.WithToken(await Host.GetTokenAsync(clientId, secret));
        (await second.GetAsync("api/v1/admin/clients")).StatusCode.ShouldBe(HttpStatusCode.OK);

        using (var disabled = await admin.PostAsync($"api/v1/admin/clients/{clientId}/disable", null))
        {
            disabled.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using var refused = await second.PostAsync($"api/v1/admin/clients/{clientId}/enable", null);
        await refused.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "token-revoked");
        var correlationId = refused.Headers.GetValues("X-Correlation-Id").Single();
        var events = (await Host.ReadAuditAsync()).Where(r => r.Event.CorrelationId == correlationId).Select(r => r.Event).ToList();
        events.Single().Action.ShouldBe("token.revoked-use");
        events.Single().Details["reason"].ShouldBe("disabled");
        (await ClientsAsync(admin)).Single(c => c.GetProperty("clientId").GetString() == clientId).GetProperty("disabled").GetBoolean().ShouldBeTrue();

        // Documented in SECURITY.md: elsewhere a token lives until it expires.
        (await second.GetAsync("api/v1/catalog")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_token_issued_before_its_clients_secret_was_rotated_is_refused_for_administration_and_the_new_one_works()
    {
        using var admin = await Host.ClientForAsync("caf-44", "admin");
        var (clientId, secret) = await CreateClientAsync(admin, "admin");
        using var old = Host.WithToken(await Host.GetTokenAsync(clientId, secret));
        Host.Clock.Advance(TimeSpan.FromSeconds(2));
        using var rotated = await admin.PostAsync($"api/v1/admin/clients/{clientId}/secret", null);
        var newSecret = (await GatewayHost.JsonOf(rotated)).GetProperty("clientSecret").GetString()!;

        using var refused = await old.GetAsync("api/v1/admin/clients");
        await refused.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "token-revoked");
        using var renewed = Host.WithToken(await Host.GetTokenAsync(clientId, newSecret));
        (await renewed.GetAsync("api/v1/admin/clients")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private async Task ShouldRefuseCsvAsync(string csv, long line, string code)
    {
        using var publisher = await Host.ClientForAsync("caf-44", "publisher");
        var version = NewVersion();
        using var response = await Publishing.UploadAsync(publisher, Publishing.Caf, version, csv);
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "csv-values");
        var error = problem.GetProperty("errors").EnumerateArray().First();
        error.GetProperty("line").GetInt64().ShouldBe(line, problem.ToString());
        error.GetProperty("column").GetInt32().ShouldBe(6, problem.ToString());
        error.GetProperty("field").GetString().ShouldBe("montant_mensuel");
        error.GetProperty("code").GetString().ShouldBe(code, problem.ToString());
        await Publishing.ShouldHaveLeftNothingAsync(Host, Publishing.Caf, version);
    }

    private async Task<(string ClientId, string Secret)> CreateClientAsync(HttpClient admin, string role)
    {
        var clientId = "caf-44-h" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
        using var created = await admin.PostAsJsonAsync("api/v1/admin/clients", new { clientId, roles = new[] { role } });
        var body = await GatewayHost.JsonOf(created);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, body.ToString());
        return (clientId, body.GetProperty("clientSecret").GetString()!);
    }

    private static async Task<List<JsonElement>> ClientsAsync(HttpClient admin) =>
        [.. (await admin.GetFromJsonAsync<JsonElement>("api/v1/admin/clients")).EnumerateArray()];

    private static async Task<List<string>> ClientIdsAsync(HttpClient admin) =>
        [.. (await ClientsAsync(admin)).Select(c => c.GetProperty("clientId").GetString()!)];

    private static string? FieldOf(JsonElement problem) => problem.GetProperty("errors").EnumerateArray().Single().GetProperty("field").GetString();

    private static string NewVersion() => "h" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));
}

public sealed class HostileFindingsTests_on_Sqlite(SqliteHostileHost fixture) : HostileFindingsTests(fixture), IClassFixture<SqliteHostileHost>;

public sealed class HostileFindingsTests_on_PostgreSql(PostgreSqlHostileHost fixture) : HostileFindingsTests(fixture), IClassFixture<PostgreSqlHostileHost>;
