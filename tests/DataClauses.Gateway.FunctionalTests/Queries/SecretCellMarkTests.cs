using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataClauses.Cli;
using DataClauses.Disclosure;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.FunctionalTests.Audit;
using DataClauses.Gateway.FunctionalTests.Extracts;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using DataClauses.Gateway.Queries;
using static DataClauses.Gateway.FunctionalTests.Queries.QueryHosts;

namespace DataClauses.Gateway.FunctionalTests.Queries;

/// <summary>
/// A host with the demo datasets whose CAF clause also names the CAF itself and the social landlord as recipients
/// (analyst, steward, DPO), so that the provider's stewards can query their own protected cube and another
/// organisation's steward is permitted the same query: the reasons check is then about role and organisation, not
/// about the policy. Its threshold is 80 households instead of 11, so that the smallest QPVs are sensitive as a whole
/// and an indicator by QPV meets primary and secondary cells alike. Extracts are produced in the background.
/// </summary>
public abstract class SecretMarkFixture : IAsyncLifetime
{
    private GatewayHost? _host;

    public abstract StorageProvider Provider { get; }

    public GatewayHost Host => _host ?? throw new InvalidOperationException("The gateway host has not started.");

    public async Task InitializeAsync()
    {
        var policies = ExtractHosts.PoliciesWith(text => text
            .Replace(
                "dataset: caf-foyers-allocataires\n    recipients:\n      organisations: [epci-demo]\n      kinds: [state]\n      roles: [analyst]",
                "dataset: caf-foyers-allocataires\n    recipients:\n      organisations: [epci-demo, caf-44, bailleur-atlantique]\n      kinds: [state]\n      roles: [analyst, steward, dpo]",
                StringComparison.Ordinal)
            .Replace("      minCount: 11\n", "      minCount: 80\n", StringComparison.Ordinal));
        _host = await ExtractHosts.StartAsync(Provider, producers: 2, policies: policies);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

public sealed class SecretMarkSqlite : SecretMarkFixture
{
    public override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class SecretMarkPostgreSql : SecretMarkFixture
{
    public override StorageProvider Provider => StorageProvider.PostgreSql;
}

/// <summary>
/// Issue 11: no recipient-facing output tells primary from secondary secrecy (ADR 0006). Every format a recipient
/// reads — query JSON and CSV, indicator JSON, extract CSV and JSON files, the CLI's default output — is read for
/// slices that certainly hold both kinds (checked against the stored cube, the ground truth no recipient sees): every
/// secret cell carries one mark, no word names a kind, and the answers about a primary cell and about a secondary
/// cell are the same bytes but for the codes asked. Only the provider's stewards and DPO, asking for it, see reasons.
/// </summary>
public abstract class SecretCellMarkTests(SecretMarkFixture fixture)
{
    /// <summary>Words that would name why a cell is secret (the clause's own rules, in obligations, are public).</summary>
    private static readonly string[] Telltales = ["primary", "secondary", "primaire", "secondaire", "dominance", "percent", "min-count", "reason", "motif", "suppressed-"];

    private GatewayHost Host => fixture.Host;

    /// <summary>Households and amounts by QPV and household type; with filters, the one cell they fix.</summary>
    private static object CafQuery(object? filters = null) => filters is null
        ? new { dataset = Caf, version = CafVersion, purpose = "observation", dimensions = new[] { "qpv", "type_menage" }, measures = new[] { "foyers", "montant_mensuel" } }
        : new { dataset = Caf, version = CafVersion, purpose = "observation", dimensions = Array.Empty<string>(), measures = new[] { "foyers", "montant_mensuel" }, filters };

    [Fact]
    public async Task Query_json_and_csv_mark_every_secret_cell_the_same_whatever_made_it_secret()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        var answer = await QueryOkAsync(analyst, CafQuery());
        using var csvResponse = await PostAsync(analyst, QueriesPath, CafQuery(), "text/csv");
        csvResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
        var csv = Encoding.UTF8.GetString(await csvResponse.Content.ReadAsByteArrayAsync());

        var cube = await StoredCubeOfAsync(Host, answer);
        var cells = Cells(answer);
        var kinds = cells.Select(c => CubeStatusOf(cube, answer, c)).ToList();
        kinds.ShouldContain(CellStatus.SuppressedPrimary, "the slice must hold primary suppressions for the test to mean anything");
        kinds.ShouldContain(CellStatus.SuppressedSecondary, "the slice must hold secondary suppressions for the test to mean anything");

        // JSON: one status, null values, one shape for every secret cell; nothing else names a kind.
        for (var i = 0; i < cells.Count; i++)
        {
            var secret = kinds[i] is CellStatus.SuppressedPrimary or CellStatus.SuppressedSecondary;
            (cells[i].GetProperty("status").GetString() == "secret").ShouldBe(secret, cells[i].ToString());
        }

        SecretShapes(cells, kinds, ["qpv", "type_menage"]).ShouldHaveSingleItem();
        ShouldNotTell(Recipient(answer), "query JSON");
        answer.GetProperty("cellsSuppressed").GetInt32().ShouldBe(kinds.Count(k => k is CellStatus.SuppressedPrimary or CellStatus.SuppressedSecondary));

        // CSV: after the two code columns, every secret row reads the same.
        var rows = csv.TrimStart('\uFEFF').TrimEnd('\r', '\n').Split("\r\n").Skip(1).ToList();
        rows.Count.ShouldBe(cells.Count);
        rows.Where((_, i) => kinds[i] is CellStatus.SuppressedPrimary or CellStatus.SuppressedSecondary)
            .Select(r => string.Join(';', r.Split(';').Skip(2))).Distinct().ShouldBe(["s;s;secret"]);
        ShouldNotTell(csv, "query CSV");
        foreach (var header in csvResponse.Headers.Where(h => h.Key != "DataClauses-Obligations"))
        {
            ShouldNotTell(string.Join(',', header.Value), $"header {header.Key}");
        }
    }

    [Fact]
    public async Task The_answer_about_one_primary_cell_and_about_one_secondary_cell_are_the_same_but_for_the_codes_asked()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        var whole = await QueryOkAsync(analyst, CafQuery());
        var cube = await StoredCubeOfAsync(Host, whole);
        var cells = Cells(whole);
        var primary = cells.First(c => CubeStatusOf(cube, whole, c) == CellStatus.SuppressedPrimary && IsLeaf(c));
        var secondary = cells.First(c => CubeStatusOf(cube, whole, c) == CellStatus.SuppressedSecondary && IsLeaf(c));

        var answers = new List<string>();
        var csvs = new List<string>();
        var headers = new List<string>();
        foreach (var cell in new[] { primary, secondary })
        {
            var filters = new Dictionary<string, string[]>(StringComparer.Ordinal)
            {
                ["qpv"] = [cell.GetProperty("qpv").GetString()!],
                ["type_menage"] = [cell.GetProperty("type_menage").GetString()!],
            };
            using var json = await PostAsync(analyst, QueriesPath, CafQuery(filters));
            var text = await json.Content.ReadAsStringAsync();
            json.StatusCode.ShouldBe(HttpStatusCode.OK, text);
            var node = JsonNode.Parse(text)!.AsObject();
            node.Remove("filters");
            node.Remove("correlationId");
            answers.Add(node.ToJsonString());
            headers.Add(string.Join('\n', json.Headers.Where(h => h.Key.StartsWith("DataClauses-", StringComparison.Ordinal)).OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => h.Key + ": " + string.Join(',', h.Value))));
            using var csv = await PostAsync(analyst, QueriesPath, CafQuery(filters), "text/csv");
            csvs.Add(await csv.Content.ReadAsStringAsync());
        }

        answers[0].ShouldContain("\"status\":\"secret\"");
        answers[1].ShouldBe(answers[0]);
        csvs[1].ShouldBe(csvs[0]);
        headers[1].ShouldBe(headers[0]);
    }

    [Fact]
    public async Task Indicator_rows_mark_a_secret_side_and_its_ratio_the_same_whatever_made_it_secret()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        using var response = await PostAsync(analyst, IndicatorsPath, new
        {
            numerator = new { dataset = FranceTravail, measure = "demandeurs", purpose = "observation" },
            denominator = new { dataset = Caf, version = CafVersion, measure = "foyers", purpose = "observation" },
            geography = "qpv",
        });
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        var answer = JsonDocument.Parse(text).RootElement;

        var sides = new Dictionary<string, ProtectedCube>(StringComparer.Ordinal);
        foreach (var side in new[] { "numerator", "denominator" })
        {
            var about = answer.GetProperty(side);
            sides[side] = await ExtractHosts.StoredCubeAsync(Host.Database, about.GetProperty("dataset").GetString()!, about.GetProperty("version").GetString()!, about.GetProperty("cubeFingerprint").GetString()!);
        }

        var secretKinds = new HashSet<CellStatus>();
        var shapes = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var row in answer.GetProperty("rows").EnumerateArray())
        {
            var code = row.GetProperty("qpv").GetString()!;
            var visible = new StringBuilder();
            foreach (var (side, cube) in sides)
            {
                var status = cube.StatusOf(ExtractHosts.CellOf(cube, new Dictionary<string, string>(StringComparer.Ordinal) { ["qpv"] = code }, new Dictionary<string, string[]>(StringComparer.Ordinal)));
                var secret = status is CellStatus.SuppressedPrimary or CellStatus.SuppressedSecondary;
                if (secret)
                {
                    secretKinds.Add(status);
                }

                row.GetProperty(side + "Status").GetString().ShouldBe(secret ? "secret" : QueryAnswer.StatusName(status), code);
                visible.Append(secret ? 's' : 'p');
            }

            (row.GetProperty("status").GetString() == "secret").ShouldBe(visible.ToString().Contains('s', StringComparison.Ordinal), code);
            var shape = string.Join(',', row.EnumerateObject().Where(p => p.Name != "qpv" && p.Value.ValueKind != JsonValueKind.Number).Select(p => $"{p.Name}={p.Value}"));
            (shapes.TryGetValue(visible.ToString(), out var seen) ? seen : shapes[visible.ToString()] = []).Add(shape);
        }

        secretKinds.Count.ShouldBe(2, "the indicator must meet primary and secondary cells for the test to mean anything");

        // Rows secret on the same sides look the same, whichever kind each side's secret is.
        shapes.Where(p => p.Key.Contains('s', StringComparison.Ordinal)).ShouldAllBe(p => p.Value.Count == 1);
        ShouldNotTell(Recipient(answer), "indicator JSON");
    }

    [Fact]
    public async Task Extract_csv_and_json_files_mark_every_secret_cell_the_same_whatever_made_it_secret()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        using var steward = await Host.ClientForAsync("caf-44", "steward");
        var created = await ExtractHosts.RequestOkAsync(analyst, ExtractHosts.Body([ExtractHosts.CafTable(), ExtractHosts.FtTable()]));
        var id = ExtractHosts.IdOf(created);
        await ExtractHosts.VoteOkAsync(steward, id, "approve");
        await ExtractHosts.WaitForStatusAsync(analyst, id, "ready");

        var json = JsonDocument.Parse(await ExtractHosts.DownloadOkAsync(analyst, id, "json")).RootElement;
        ShouldNotTell(Recipient(json), "extract JSON");
        var allKinds = new List<CellStatus>();
        var tables = json.GetProperty("tables").EnumerateArray().ToList();
        for (var t = 0; t < tables.Count; t++)
        {
            var table = tables[t];
            var cube = await StoredCubeOfAsync(Host, table);
            var cells = Cells(table);
            var kinds = cells.Select(c => CubeStatusOf(cube, table, c)).ToList();
            allKinds.AddRange(kinds);
            var columns = table.GetProperty("dimensions").EnumerateArray().Select(d => d.GetString()!).ToArray();
            SecretShapes(cells, kinds, columns).Count.ShouldBeLessThanOrEqualTo(1);

            var csv = ExtractHosts.CsvText(await ExtractHosts.DownloadOkAsync(analyst, id, "csv", t + 1));
            ShouldNotTell(csv, $"extract CSV {t + 1}");
            var rows = csv.TrimEnd('\r', '\n').Split("\r\n").Skip(1).ToList();
            rows.Count.ShouldBe(cells.Count);
            rows.Where((_, i) => kinds[i] is CellStatus.SuppressedPrimary or CellStatus.SuppressedSecondary)
                .Select(r => string.Join(';', r.Split(';').Skip(columns.Length))).Distinct().Count().ShouldBeLessThanOrEqualTo(1);
            rows.Select(r => r.Split(';')[^1]).Where(s => s is not ("published" or "rounded")).Distinct().ShouldBeSubsetOf(["secret"]);
        }

        allKinds.ShouldContain(CellStatus.SuppressedPrimary);
        allKinds.ShouldContain(CellStatus.SuppressedSecondary);
    }

    [Fact]
    public async Task The_cli_default_output_marks_every_secret_cell_the_same_and_show_reasons_tells_them_apart()
    {
        var contract = Host.Services.GetRequiredService<ContractCatalog>().Contracts.Contracts.Single(c => c.Id == "cdv-demo-2024-2030");
        var microdata = SyntheticData.Generate(contract).Single(d => d.DatasetId == Caf).Versions.Single(v => v.Version == CafVersion).Csv;
        var folder = Path.Combine(Path.GetTempPath(), "dataclauses-tests", "secret-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var input = Path.Combine(folder, "foyers.csv");
            await File.WriteAllTextAsync(input, microdata);
            var hierarchy = Path.Combine(folder, "qpv.csv");
            await File.WriteAllTextAsync(hierarchy, "qpv;commune\n" + string.Concat(contract.Territory.Qpv.Select(q => $"{q.Code};{q.CommuneCode}\n")));
            string[] options = ["disclose", "--input", input, "--dims", "qpv,type_menage", "--count-unit", "id_foyer", "--sum", "montant_mensuel",
                "--min-count", "11", "--dominance", "1:85", "--hierarchy", $"qpv:commune={hierarchy}"];

            var (plainExit, plainOutput, plainError) = AuditApi.RunCli([.. options, "--output", Path.Combine(folder, "plain.csv")]);
            var (reasonsExit, _, reasonsError) = AuditApi.RunCli([.. options, "--show-reasons", "--output", Path.Combine(folder, "reasons.csv")]);

            plainExit.ShouldBe(CliApp.Success, plainError);
            reasonsExit.ShouldBe(CliApp.Success, reasonsError);
            var plain = await File.ReadAllLinesAsync(Path.Combine(folder, "plain.csv"));
            var reasons = await File.ReadAllLinesAsync(Path.Combine(folder, "reasons.csv"));
            var kinds = reasons.Skip(1).Select(l => l.Split(',')[^1].Split(':')[0]).Where(k => k.Length > 0).Distinct().Order(StringComparer.Ordinal).ToList();
            kinds.ShouldBe(["primary", "secondary"]);
            ShouldNotTell(string.Join('\n', plain) + plainOutput, "CLI default output");
            plain.ShouldBe(reasons.Select(l => l[..l.LastIndexOf(',')]));
            plain.Skip(1).Where(l => !l.EndsWith(",published", StringComparison.Ordinal)).Select(l => string.Join(',', l.Split(',').Skip(2))).Distinct().ShouldBe(["s,s,secret"]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("steward")]
    [InlineData("dpo")]
    public async Task The_providers_steward_and_dpo_see_why_each_cell_is_secret_when_they_ask_and_it_is_audited(string role)
    {
        using var provider = await Host.ClientForAsync("caf-44", role);

        using var response = await PostAsync(provider, QueriesPath + "?detail=reasons", CafQuery());
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        var answer = JsonDocument.Parse(text).RootElement;
        var cube = await StoredCubeOfAsync(Host, answer);
        var cells = Cells(answer);
        foreach (var cell in cells)
        {
            var status = CubeStatusOf(cube, answer, cell);
            cell.GetProperty("reason").ToString().ShouldBe(QueryAnswer.ReasonName(status) ?? string.Empty, cell.ToString());
            cell.GetProperty("status").GetString().ShouldBe(QueryAnswer.StatusName(status));
        }

        var reasons = cells.Select(c => c.GetProperty("reason").ToString()).ToList();
        reasons.ShouldContain("primary");
        reasons.ShouldContain("secondary");
        var split = answer.GetProperty("cellsSuppressedByReason");
        split.GetProperty("primary").GetInt32().ShouldBe(reasons.Count(r => r == "primary"));
        split.GetProperty("secondary").GetInt32().ShouldBe(reasons.Count(r => r == "secondary"));
        var audited = await AuditOfAsync(Host, response, "query.answered");
        audited.Details["detail"].ShouldBe("reasons");
        audited.Actor.Organisation.ShouldBe("caf-44");

        using var csv = await PostAsync(provider, QueriesPath + "?detail=reasons", CafQuery(), "text/csv");
        var lines = (await csv.Content.ReadAsStringAsync()).TrimStart('\uFEFF').TrimEnd('\r', '\n').Split("\r\n");
        lines[0].ShouldBe("qpv;type_menage;foyers;montant_mensuel;statut;motif");
        lines.Skip(1).Select(l => l.Split(';')[^1]).ShouldBe(reasons);
    }

    [Theory]
    [InlineData("bailleur-atlantique", "steward")]
    [InlineData("epci-demo", "dpo")]
    [InlineData("epci-demo", "analyst")]
    [InlineData("caf-44", "publisher")]
    public async Task Reasons_are_refused_to_anyone_but_a_steward_or_dpo_of_the_provider_and_the_refusal_is_audited(string organisation, string role)
    {
        using var caller = await Host.ClientForAsync(organisation, role);

        using var refused = await PostAsync(caller, QueriesPath + "?detail=reasons", CafQuery());

        var problem = await refused.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "reasons-forbidden");
        problem.GetProperty("detail").GetString()!.ShouldContain("caf-44");
        var audited = await AuditOfAsync(Host, refused, "query.rejected");
        audited.Details["problem"].ShouldBe("reasons-forbidden");
        audited.Details["detail"].ShouldBe("reasons");
        audited.Actor.Organisation.ShouldBe(organisation);
        if (organisation == "bailleur-atlantique")
        {
            // The same steward is permitted the query itself: only the reasons are the provider's.
            var answer = await QueryOkAsync(caller, CafQuery());
            ShouldNotTell(Recipient(answer), "another organisation's steward's answer");
        }
    }

    [Theory]
    [InlineData("?detail=all")]
    [InlineData("?detail=reasons&detail=reasons")]
    [InlineData("?detail=")]
    public async Task Another_detail_is_a_validation_error(string query)
    {
        using var steward = await Host.ClientForAsync("caf-44", "steward");

        using var response = await PostAsync(steward, QueriesPath + query, CafQuery());

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
        problem.GetProperty("errors")[0].GetProperty("field").GetString().ShouldBe("detail");
    }

    private static bool IsLeaf(JsonElement cell) =>
        cell.GetProperty("qpv").GetString() != "Total" && cell.GetProperty("type_menage").GetString() != "Total";

    /// <summary>The distinct shapes (members, value kinds, status) of the secret cells, over both kinds.</summary>
    private static HashSet<string> SecretShapes(IReadOnlyList<JsonElement> cells, IReadOnlyList<CellStatus> kinds, IReadOnlyCollection<string> columns)
    {
        var byKind = new Dictionary<CellStatus, HashSet<string>>();
        for (var i = 0; i < cells.Count; i++)
        {
            if (kinds[i] is not (CellStatus.SuppressedPrimary or CellStatus.SuppressedSecondary))
            {
                continue;
            }

            var shape = string.Join(',', cells[i].EnumerateObject().Select(p => columns.Contains(p.Name) ? p.Name : $"{p.Name}={p.Value.ValueKind}:{(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null)}"));
            (byKind.TryGetValue(kinds[i], out var set) ? set : byKind[kinds[i]] = []).Add(shape);
        }

        if (byKind.Count == 2)
        {
            byKind[CellStatus.SuppressedPrimary].ShouldBe(byKind[CellStatus.SuppressedSecondary], ignoreOrder: true);
        }

        return [.. byKind.Values.SelectMany(s => s)];
    }

    /// <summary>A JSON document without its <c>obligations</c> and <c>decision</c> members (the clause's public rules), at any depth.</summary>
    private static string Recipient(JsonElement json)
    {
        var node = JsonNode.Parse(json.GetRawText())!;
        Strip(node);
        return node.ToJsonString();

        static void Strip(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    o.Remove("obligations");
                    o.Remove("decision");
                    foreach (var (_, value) in o)
                    {
                        Strip(value);
                    }

                    break;
                case JsonArray a:
                    foreach (var item in a)
                    {
                        Strip(item);
                    }

                    break;
            }
        }
    }

    private static void ShouldNotTell(string text, string where)
    {
        foreach (var word in Telltales)
        {
            text.ShouldNotContain(word, Case.Insensitive, $"{where} names why a cell is secret ('{word}')");
        }
    }
}

public sealed class SecretCellMarkTests_on_Sqlite(SecretMarkSqlite fixture) : SecretCellMarkTests(fixture), IClassFixture<SecretMarkSqlite>;

public sealed class SecretCellMarkTests_on_PostgreSql(SecretMarkPostgreSql fixture) : SecretCellMarkTests(fixture), IClassFixture<SecretMarkPostgreSql>;
