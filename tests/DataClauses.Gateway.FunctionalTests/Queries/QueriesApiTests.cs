using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using static DataClauses.Gateway.FunctionalTests.Queries.QueryHosts;

namespace DataClauses.Gateway.FunctionalTests.Queries;

/// <summary>POST /api/v1/queries on permitted requests: cells with statuses, obligations, CSV, slicing, bad input.</summary>
public abstract class QueriesApiTests(SeededQueryFixture fixture)
{
    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task Permitted_query_returns_every_cell_with_a_status_and_no_published_count_below_the_threshold()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        using var response = await PostAsync(analyst, QueriesPath, CafByQpvAndType());

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        var answer = JsonDocument.Parse(text).RootElement;
        answer.GetProperty("dataset").GetString().ShouldBe(Caf);
        answer.GetProperty("version").GetString().ShouldBe(CafVersion);
        answer.GetProperty("contract").GetString().ShouldBe("cdv-demo-2024-2030");
        answer.GetProperty("clause").GetString().ShouldBe("caf-foyers-qpv");
        answer.GetProperty("purpose").GetString().ShouldBe("observation");
        answer.GetProperty("decision").GetProperty("effect").GetString().ShouldBe("permit");
        answer.GetProperty("decision").GetProperty("reasons")[0].GetProperty("rule").GetString().ShouldBe("clause-permits");
        var obligations = answer.GetProperty("obligations");
        obligations.GetProperty("minCount").GetInt32().ShouldBe(11);
        obligations.GetProperty("dominance").GetProperty("k").GetDouble().ShouldBe(85);
        obligations.GetProperty("secondarySuppression").GetBoolean().ShouldBeTrue();
        answer.GetProperty("dimensions").EnumerateArray().Select(d => d.GetString()).ShouldBe(["qpv", "type_menage"]);

        // 12 QPVs and their total, by 5 household types and their total.
        var cells = Cells(answer);
        cells.Count.ShouldBe(13 * 6);
        answer.GetProperty("cellsReturned").GetInt32().ShouldBe(cells.Count);
        answer.GetProperty("cellsSuppressed").GetInt32().ShouldBe(cells.Count(IsSuppressed));
        cells.Select(c => Codes(c, "qpv", "type_menage")).Distinct().Count().ShouldBe(cells.Count);
        foreach (var cell in cells)
        {
            cell.EnumerateObject().Select(p => p.Name).ShouldBe(["qpv", "type_menage", "foyers", "status"]);
            Statuses.ShouldContain(cell.GetProperty("status").GetString());
            if (IsSuppressed(cell))
            {
                cell.GetProperty("foyers").ValueKind.ShouldBe(JsonValueKind.Null);
            }
            else
            {
                var count = cell.GetProperty("foyers").GetInt64();
                (count == 0 || count >= 11).ShouldBeTrue($"{Codes(cell, "qpv", "type_menage")} publishes {count}");
            }
        }

        // Primary and secondary suppressions alike carry the one mark (ADR 0006).
        cells.Count(IsSuppressed).ShouldBeGreaterThan(1);
        cells.Where(IsSuppressed).Select(c => c.GetProperty("status").GetString()).Distinct().ShouldBe(["secret"]);

        // The grand total counts every household of the version: aggregation in SQL lost nothing.
        var total = cells.Single(c => Codes(c, "qpv", "type_menage") == "Total/Total");
        var rows = await CountAsync(Host.Database, $"SELECT row_count FROM dataset_versions WHERE dataset_id = '{Caf}' AND version = '{CafVersion}'");
        total.GetProperty("foyers").GetInt64().ShouldBe(rows);

        response.Headers.GetValues("DataClauses-Clause").Single().ShouldBe("caf-foyers-qpv");
        response.Headers.GetValues("DataClauses-Cells-Suppressed").Single().ShouldBe(answer.GetProperty("cellsSuppressed").GetInt32().ToString(CultureInfo.InvariantCulture));
        response.Headers.GetValues("DataClauses-Obligations").Single().ShouldContain("minCount=11");
    }

    [Fact]
    public async Task Answered_query_is_audited_with_decision_obligations_and_counts_but_no_cell_value()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        using var response = await PostAsync(analyst, QueriesPath, CafByQpvAndType());
        var answer = await GatewayHost.JsonOf(response);

        var audited = await AuditOfAsync(Host, response, "query.answered");
        audited.Outcome.ShouldBe("success");
        audited.Effect.ShouldBe("permit");
        audited.Dataset.ShouldBe(Caf);
        audited.Version.ShouldBe(CafVersion);
        audited.DataOwner.ShouldBe("caf-44");
        audited.Purpose.ShouldBe("observation");
        audited.Actor.Subject.ShouldBe("epci-demo-analyst");
        audited.Reasons.ShouldHaveSingleItem().Clause.ShouldBe("caf-foyers-qpv");
        audited.Obligations["minCount"].ShouldBe("11");
        audited.Obligations["dominance"].ShouldBe("n=1,k=85");
        audited.CellsSuppressed.ShouldBe(answer.GetProperty("cellsSuppressed").GetInt32());
        audited.Details["cellsReturned"].ShouldBe("78");
        audited.Details["cubeCells"].ShouldBe("576");
        audited.Details["clause"].ShouldBe("caf-foyers-qpv");
        audited.Details["dimensions"].ShouldBe("qpv,type_menage");
        audited.Details.Keys.ShouldBe(
            ["action", "dimensions", "measures", "filters", "format", "contract", "clause", "amendment", "cellsReturned", "cubeCells", "cubeFingerprint"],
            ignoreOrder: true);
        (await Host.VerifyAuditChainAsync()).Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task Csv_answer_has_a_bom_semicolons_s_for_secrets_and_decimal_commas()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        var body = new { dataset = Caf, version = CafVersion, purpose = "observation", dimensions = new[] { "qpv", "type_menage" }, measures = new[] { "foyers", "montant_mensuel" } };
        var json = await QueryOkAsync(analyst, body);

        using var response = await PostAsync(analyst, QueriesPath, body, "text/csv");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        response.Content.Headers.ContentType.CharSet.ShouldBe("utf-8");
        response.Headers.GetValues("DataClauses-Clause").Single().ShouldBe("caf-foyers-qpv");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        bytes.Take(3).ShouldBe(new byte[] { 0xEF, 0xBB, 0xBF });
        var text = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);
        text.ShouldEndWith("\r\n");
        var lines = text[..^2].Split("\r\n");
        lines[0].ShouldBe("qpv;type_menage;foyers;montant_mensuel;statut");
        var cells = Cells(json);
        lines.Length.ShouldBe(cells.Count + 1);
        for (var i = 0; i < cells.Count; i++)
        {
            var fields = lines[i + 1].Split(';');
            fields.Length.ShouldBe(5, lines[i + 1]);
            var cell = cells[i];
            fields[0].ShouldBe(cell.GetProperty("qpv").GetString());
            fields[1].ShouldBe(cell.GetProperty("type_menage").GetString());
            fields[4].ShouldBe(cell.GetProperty("status").GetString());
            if (IsSuppressed(cell))
            {
                fields[2].ShouldBe("s");
                fields[3].ShouldBe("s");
            }
            else
            {
                fields[2].ShouldBe(cell.GetProperty("foyers").GetInt64().ToString(CultureInfo.InvariantCulture));
                fields[3].ShouldMatch(@"^[0-9]+,[0-9]{2}$");
                decimal.Parse(fields[3].Replace(',', '.'), CultureInfo.InvariantCulture).ShouldBe(cell.GetProperty("montant_mensuel").GetDecimal());
            }
        }

        lines.ShouldContain(l => l.EndsWith(";s;s;secret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rounded_counts_say_so_and_a_dimension_named_statut_keeps_its_column_in_csv()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        var body = new { dataset = "bailleur-logements", purpose = "observation", dimensions = new[] { "commune", "statut" }, measures = new[] { "logements" } };

        var json = await QueryOkAsync(analyst, body);
        using var csv = await PostAsync(analyst, QueriesPath, body, "text/csv");

        // The bailleur clause rounds to the middle of each band of six (3, 9, 15…).
        json.GetProperty("obligations").GetProperty("rounding").GetString().ShouldBe("midpoint-6");
        var published = Cells(json).Where(c => !IsSuppressed(c)).ToList();
        published.ShouldNotBeEmpty();
        published.ShouldAllBe(c => c.GetProperty("status").GetString() == "rounded" && (c.GetProperty("logements").GetInt64() == 0 || c.GetProperty("logements").GetInt64() % 6 == 3));
        var lines = (await csv.Content.ReadAsStringAsync()).TrimStart('\uFEFF').Split("\r\n");
        lines[0].ShouldBe("commune;statut;logements;statut_cellule");
        lines[1].Split(';')[1].ShouldBe("occupe");
    }

    [Fact]
    public async Task Qpv_with_commune_gives_qpv_rows_with_their_commune_and_each_commune_subtotal()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        var answer = await QueryOkAsync(analyst, new { dataset = Caf, version = CafVersion, purpose = "observation", dimensions = new[] { "qpv", "commune" }, measures = new[] { "foyers" } });

        var cells = Cells(answer);
        cells.Count.ShouldBe(12 + 3 + 1);
        foreach (var (qpv, commune) in QpvCommunes)
        {
            cells.Single(c => c.GetProperty("qpv").GetString() == qpv).GetProperty("commune").GetString().ShouldBe(commune);
        }

        cells.Where(c => c.GetProperty("qpv").GetString() == "Total").Select(c => c.GetProperty("commune").GetString()).ShouldBe(["44901", "44902", "44903", "Total"]);

        // A published commune subtotal is the sum of its QPVs when they are all published: the same cube.
        foreach (var commune in new[] { "44901", "44902", "44903" })
        {
            var parts = cells.Where(c => c.GetProperty("qpv").GetString() != "Total" && c.GetProperty("commune").GetString() == commune).ToList();
            var subtotal = cells.Single(c => Codes(c, "qpv", "commune") == $"Total/{commune}");
            if (!IsSuppressed(subtotal) && parts.All(p => !IsSuppressed(p)))
            {
                parts.Sum(p => p.GetProperty("foyers").GetInt64()).ShouldBe(subtotal.GetProperty("foyers").GetInt64());
            }
        }
    }

    [Fact]
    public async Task Filters_return_cells_of_the_same_cube_and_never_a_new_aggregate()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        var full = Cells(await QueryOkAsync(analyst, CafByQpvAndType()));
        string Key(JsonElement c) => Codes(c, "qpv", "type_menage");
        var byKey = full.ToDictionary(Key, StringComparer.Ordinal);

        // One value on a dimension not asked for: that slice, no column.
        var single = await QueryOkAsync(analyst, new { dataset = Caf, version = CafVersion, purpose = "observation", dimensions = new[] { "qpv" }, measures = new[] { "foyers" }, filters = new { type_menage = new[] { "autre" } } });
        single.GetProperty("dimensions").EnumerateArray().Select(d => d.GetString()).ShouldBe(["qpv"]);
        var singleCells = Cells(single);
        singleCells.Count.ShouldBe(13);
        foreach (var cell in singleCells)
        {
            var same = byKey[cell.GetProperty("qpv").GetString() + "/autre"];
            cell.GetProperty("status").GetString().ShouldBe(same.GetProperty("status").GetString());
            cell.GetProperty("foyers").ToString().ShouldBe(same.GetProperty("foyers").ToString());
        }

        // All types but one: a column limited to them, never their sum (which would give the remaining type away).
        var allButOne = await QueryOkAsync(analyst, new { dataset = Caf, version = CafVersion, purpose = "observation", dimensions = new[] { "qpv" }, measures = new[] { "foyers" }, filters = new { type_menage = HouseholdTypes[..4] } });
        allButOne.GetProperty("dimensions").EnumerateArray().Select(d => d.GetString()).ShouldBe(["qpv", "type_menage"]);
        var kept = Cells(allButOne);
        kept.Count.ShouldBe(13 * 4);
        kept.ShouldAllBe(c => c.GetProperty("type_menage").GetString() != "autre" && c.GetProperty("type_menage").GetString() != "Total");
        foreach (var cell in kept)
        {
            cell.GetProperty("foyers").ToString().ShouldBe(byKey[Key(cell)].GetProperty("foyers").ToString());
        }

        // A commune filter on QPV rows keeps that commune's QPVs.
        var commune = await QueryOkAsync(analyst, new { dataset = Caf, version = CafVersion, purpose = "observation", dimensions = new[] { "qpv" }, measures = new[] { "foyers" }, filters = new { commune = new[] { "44902" } } });
        Cells(commune).Select(c => c.GetProperty("qpv").GetString()).ShouldBe(["QN04406M", "QN04407N", "QN04408M", "QN04409N"]);
    }

    [Fact]
    public async Task Query_without_version_uses_a_published_version_and_says_which()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        var answer = await QueryOkAsync(analyst, CafByQpvAndType(version: null));

        answer.GetProperty("version").GetString().ShouldBeOneOf("2023-12-31", "2024-12-31");
    }

    [Fact]
    public async Task Unknown_dataset_and_unknown_version_are_not_found_and_audited()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        using var noDataset = await PostAsync(analyst, QueriesPath, new { dataset = "cpam-inconnu", purpose = "observation", dimensions = new[] { "qpv" }, measures = new[] { "assures" } });
        using var noVersion = await PostAsync(analyst, QueriesPath, CafByQpvAndType(version: "2019-12-31"));

        (await noDataset.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found")).GetProperty("detail").GetString()!.ShouldContain("cpam-inconnu");
        (await noVersion.ShouldBeProblemAsync(HttpStatusCode.NotFound, "version-not-found")).GetProperty("detail").GetString()!.ShouldContain("2019-12-31");
        (await AuditOfAsync(Host, noDataset, "query.rejected")).Details["problem"].ShouldBe("not-found");
        var rejected = await AuditOfAsync(Host, noVersion, "query.rejected");
        rejected.Effect.ShouldBe("permit");
        rejected.Details["problem"].ShouldBe("version-not-found");
    }

    [Fact]
    public async Task Invalid_queries_get_field_errors_and_touch_nothing()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        using var invalid = await PostAsync(analyst, QueriesPath, new { dataset = Caf, purpose = "observation", dimensions = new object[] { "qpv", 3 }, measures = Array.Empty<string>(), limit = 10 });
        using var empty = await PostAsync(analyst, QueriesPath, new { dataset = Caf, purpose = "observation", dimensions = new[] { "qpv" }, measures = Array.Empty<string>(), filters = new { commune = Array.Empty<string>() } });

        var problem = await invalid.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
        problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ShouldBe(["limit", "dimensions[1]"], ignoreOrder: true);
        var emptyProblem = await empty.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
        emptyProblem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ShouldBe(["measures", "filters.commune"], ignoreOrder: true);
        (await Host.ReadAuditAsync()).ShouldNotContain(r => r.Event.CorrelationId == CorrelationIdOf(invalid) || r.Event.CorrelationId == CorrelationIdOf(empty));
    }

    [Fact]
    public async Task Malformed_json_other_content_types_and_unsupported_formats_are_refused()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        using var malformed = await analyst.PostAsync(QueriesPath, new StringContent("{\"dataset\": ", Encoding.UTF8, "application/json"));
        using var text = await analyst.PostAsync(QueriesPath, new StringContent("dataset=caf", Encoding.UTF8, "text/plain"));
        using var xml = await PostAsync(analyst, QueriesPath, CafByQpvAndType(), "application/xml");

        await malformed.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "invalid-json");
        await text.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        await xml.ShouldBeProblemAsync(HttpStatusCode.NotAcceptable, "not-acceptable");
    }

    [Fact]
    public async Task Anonymous_query_is_refused()
    {
        using var response = await PostAsync(Host.Http, QueriesPath, CafByQpvAndType());

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}

public sealed class QueriesApiTests_on_Sqlite(SeededSqliteQueries fixture) : QueriesApiTests(fixture), IClassFixture<SeededSqliteQueries>;

public sealed class QueriesApiTests_on_PostgreSql(SeededPostgreSqlQueries fixture) : QueriesApiTests(fixture), IClassFixture<SeededPostgreSqlQueries>;
