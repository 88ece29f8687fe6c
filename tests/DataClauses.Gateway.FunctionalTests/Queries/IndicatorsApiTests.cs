using System.Net;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using static DataClauses.Gateway.FunctionalTests.Queries.QueryHosts;

namespace DataClauses.Gateway.FunctionalTests.Queries;

/// <summary>POST /api/v1/indicators: job seekers per 100 CAF households, each side protected on its own.</summary>
public abstract class IndicatorsApiTests(SeededQueryFixture fixture)
{
    private GatewayHost Host => fixture.Host;

    private static object SeekersPerHouseholds(string geography, string denominatorPurpose = "observation") => new
    {
        numerator = new { dataset = FranceTravail, measure = "demandeurs", purpose = "observation" },
        denominator = new { dataset = Caf, version = CafVersion, measure = "foyers", purpose = denominatorPurpose },
        geography,
        per = 100,
    };

    [Fact]
    public async Task Job_seekers_per_100_households_by_qpv_is_suppressed_where_either_side_is()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        using var response = await PostAsync(analyst, IndicatorsPath, SeekersPerHouseholds("qpv"));

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        var answer = JsonDocument.Parse(text).RootElement;
        answer.GetProperty("numerator").GetProperty("clause").GetString().ShouldBe("ft-demandeurs-qpv");
        answer.GetProperty("denominator").GetProperty("clause").GetString().ShouldBe("caf-foyers-qpv");
        answer.GetProperty("denominator").GetProperty("obligations").GetProperty("minCount").GetInt32().ShouldBe(11);
        var rows = answer.GetProperty("rows").EnumerateArray().ToList();
        rows.Select(r => r.GetProperty("qpv").GetString()).ShouldBe([.. QpvCommunes.Keys, "Total"]);

        // Each side's values are the cells its own query returns: the same protected cubes.
        var seekers = Cells(await QueryOkAsync(analyst, new { dataset = FranceTravail, purpose = "observation", dimensions = new[] { "qpv" }, measures = new[] { "demandeurs" } }))
            .ToDictionary(c => c.GetProperty("qpv").GetString()!, StringComparer.Ordinal);
        var households = Cells(await QueryOkAsync(analyst, new { dataset = Caf, version = CafVersion, purpose = "observation", dimensions = new[] { "qpv" }, measures = new[] { "foyers" } }))
            .ToDictionary(c => c.GetProperty("qpv").GetString()!, StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var code = row.GetProperty("qpv").GetString()!;
            row.GetProperty("numerator").ToString().ShouldBe(seekers[code].GetProperty("demandeurs").ToString());
            row.GetProperty("numeratorStatus").GetString().ShouldBe(seekers[code].GetProperty("status").GetString());
            row.GetProperty("denominator").ToString().ShouldBe(households[code].GetProperty("foyers").ToString());
            row.GetProperty("denominatorStatus").GetString().ShouldBe(households[code].GetProperty("status").GetString());
            if (IsSuppressed(seekers[code]) || IsSuppressed(households[code]))
            {
                row.GetProperty("status").GetString().ShouldBe("secret", code);
                row.GetProperty("ratio").ValueKind.ShouldBe(JsonValueKind.Null, code);
            }
            else
            {
                var expected = Math.Round(seekers[code].GetProperty("demandeurs").GetDecimal() / households[code].GetProperty("foyers").GetDecimal() * 100, 2, MidpointRounding.AwayFromZero);
                row.GetProperty("ratio").GetDecimal().ShouldBe(expected, code);
                row.GetProperty("status").GetString().ShouldBe("published", code);
            }
        }

        rows.ShouldContain(r => r.GetProperty("status").GetString() == "secret");
        rows.ShouldContain(r => r.GetProperty("status").GetString() == "published");
        answer.GetProperty("rowsSuppressed").GetInt32().ShouldBe(rows.Count(r => r.GetProperty("status").GetString() == "secret"));
        var audited = await AuditOfAsync(Host, response, "indicator.answered");
        audited.Effect.ShouldBe("permit");
        audited.Details["numeratorClause"].ShouldBe("ft-demandeurs-qpv");
        audited.Details["denominatorClause"].ShouldBe("caf-foyers-qpv");
        audited.CellsSuppressed.ShouldBe(answer.GetProperty("rowsSuppressed").GetInt32());
    }

    [Fact]
    public async Task Indicator_by_commune_joins_the_communes_and_the_total()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        using var response = await PostAsync(analyst, IndicatorsPath, SeekersPerHouseholds("commune"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var rows = (await GatewayHost.JsonOf(response)).GetProperty("rows").EnumerateArray().ToList();
        rows.Select(r => r.GetProperty("commune").GetString()).ShouldBe(["44901", "44902", "44903", "Total"]);
    }

    [Fact]
    public async Task Indicator_is_denied_when_one_side_is_with_that_side_reasons()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        using var response = await PostAsync(analyst, IndicatorsPath, SeekersPerHouseholds("qpv", denominatorPurpose: "pilotage"));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        problem.GetProperty("numerator").GetProperty("effect").GetString().ShouldBe("permit");
        problem.GetProperty("denominator").GetProperty("effect").GetString().ShouldBe("deny");
        problem.GetProperty("denominator").GetProperty("reasons").EnumerateArray()
            .ShouldContain(r => r.GetProperty("rule").GetString() == "purpose-not-permitted" && r.GetProperty("clause").GetString() == "caf-foyers-qpv");
        problem.GetProperty("reasons").EnumerateArray().ShouldAllBe(r => r.GetProperty("rule").GetString() != "clause-permits");
        (await AuditOfAsync(Host, response, "indicator.denied")).Effect.ShouldBe("deny");
    }

    [Fact]
    public async Task Invalid_indicator_gets_field_errors()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        using var response = await PostAsync(analyst, IndicatorsPath, new { numerator = new { dataset = FranceTravail, purpose = "observation" }, geography = "iris", per = -1 });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
        problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString())
            .ShouldBe(["numerator.measure", "denominator", "geography", "per"], ignoreOrder: true);
    }
}

public sealed class IndicatorsApiTests_on_Sqlite(SeededSqliteQueries fixture) : IndicatorsApiTests(fixture), IClassFixture<SeededSqliteQueries>;

public sealed class IndicatorsApiTests_on_PostgreSql(SeededPostgreSqlQueries fixture) : IndicatorsApiTests(fixture), IClassFixture<SeededPostgreSqlQueries>;
