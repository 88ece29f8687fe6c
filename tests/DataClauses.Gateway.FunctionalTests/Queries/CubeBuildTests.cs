using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using static DataClauses.Gateway.FunctionalTests.Queries.QueryHosts;

namespace DataClauses.Gateway.FunctionalTests.Queries;

/// <summary>
/// The protected cube of (dataset version, clause) is built once — under concurrent first queries and across
/// replicas — stored, reused after a restart, and replaced by a new one for a new version or an amended clause.
/// </summary>
public abstract class CubeBuildTests
{
    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Twenty_concurrent_first_queries_build_the_cube_once()
    {
        await using var host = await StartAsync(Provider);
        using var analyst = await host.ClientForAsync("epci-demo", "analyst");
        string[][] shapes = [["qpv"], ["type_menage"], ["qpv", "type_menage"], ["commune", "prestation"], []];

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => QueryOkAsync(analyst, new
        {
            dataset = Caf,
            version = CafVersion,
            purpose = "observation",
            dimensions = shapes[i % shapes.Length],
            measures = new[] { "foyers" },
        })));

        (await CubeRowsAsync(host.Database)).ShouldBe(1);
        (await CubeBuiltEventsAsync(host)).ShouldBe(1);
        answers.Select(a => a.GetProperty("cube").GetProperty("builtAt").GetString()).Distinct().Count().ShouldBe(1);
        answers.Select(a => a.GetProperty("cube").GetProperty("fingerprint").GetString()).Distinct().Count().ShouldBe(1);
        var built = (await host.ReadAuditAsync()).Single(r => r.Event.Action == "cube.built").Event;
        built.Dataset.ShouldBe(Caf);
        built.Version.ShouldBe(CafVersion);
        built.DataOwner.ShouldBe("caf-44");

        // The node builds; the requester's organisation never holds an event with the split of primaries and secondaries.
        built.Actor.Subject.ShouldBe("node:cube-builder");
        built.Actor.Organisation.ShouldBeNull();
        built.Details["requestedBy"].ShouldBe("epci-demo-analyst");
        built.Details["clause"].ShouldBe("caf-foyers-qpv");
        built.Details["cells"].ShouldBe("576");
        var primaries = int.Parse(built.Details["primaries"], CultureInfo.InvariantCulture);
        var secondaries = int.Parse(built.Details["secondaries"], CultureInfo.InvariantCulture);
        built.CellsSuppressed.ShouldBe(primaries + secondaries);
        (await CountAsync(host.Database, "SELECT primary_count FROM protected_cubes")).ShouldBe(primaries);
        (await CountAsync(host.Database, "SELECT secondary_count FROM protected_cubes")).ShouldBe(secondaries);
        (await host.VerifyAuditChainAsync()).Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task Stored_cube_serves_the_same_cells_after_a_restart_without_a_rebuild()
    {
        await using var database = await TestDatabase.CreateAsync(Provider);
        string before;
        string builtAt;
        await using (var first = await StartAsync(Provider, database))
        {
            using var analyst = await first.ClientForAsync("epci-demo", "analyst");
            var answer = await QueryOkAsync(analyst, CafByQpvAndType());
            before = answer.GetProperty("cells").GetRawText();
            builtAt = answer.GetProperty("cube").GetProperty("builtAt").GetString()!;
        }

        await using var second = await StartAsync(Provider, database);
        using var again = await second.ClientForAsync("epci-demo", "analyst");
        var after = await QueryOkAsync(again, CafByQpvAndType());

        after.GetProperty("cells").GetRawText().ShouldBe(before);
        after.GetProperty("cube").GetProperty("builtAt").GetString().ShouldBe(builtAt);
        (await CubeRowsAsync(database)).ShouldBe(1);
        (await CubeBuiltEventsAsync(second)).ShouldBe(1);
    }

    [Fact]
    public async Task New_version_gets_a_new_cube_and_the_old_version_keeps_its_own()
    {
        await using var host = await StartAsync(Provider);
        using var analyst = await host.ClientForAsync("epci-demo", "analyst");
        var old = await QueryOkAsync(analyst, CafByQpvAndType());

        host.Clock.Advance(TimeSpan.FromDays(1));
        using var publisher = await host.ClientForAsync("caf-44", "publisher");
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(NewCafVersion()));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("text/csv; charset=utf-8");
        using (var published = await publisher.PutAsync($"api/v1/datasets/{Caf}/versions/2025-06-30", content))
        {
            published.StatusCode.ShouldBe(HttpStatusCode.Created, await published.Content.ReadAsStringAsync());
        }

        using var later = await host.ClientForAsync("epci-demo", "analyst");
        var current = await QueryOkAsync(later, CafByQpvAndType(version: null));
        var oldAgain = await QueryOkAsync(later, CafByQpvAndType());

        current.GetProperty("version").GetString().ShouldBe("2025-06-30");
        current.GetProperty("cube").GetProperty("builtAt").GetString().ShouldNotBe(old.GetProperty("cube").GetProperty("builtAt").GetString());
        Cells(current).Single(c => Codes(c, "qpv", "type_menage") == "Total/Total").GetProperty("foyers").GetInt64().ShouldBe(600);
        oldAgain.GetProperty("cells").GetRawText().ShouldBe(old.GetProperty("cells").GetRawText());
        (await CubeRowsAsync(host.Database)).ShouldBe(2);
        (await CubeBuiltEventsAsync(host)).ShouldBe(2);
        (await CountAsync(host.Database, "SELECT COUNT(DISTINCT version) FROM protected_cubes")).ShouldBe(2);
    }

    [Fact]
    public async Task Amended_clause_gets_a_new_cube()
    {
        // Amendment 1 of the demo contract modifies the CAF clause from 2025-07-01.
        var clock = new TestClock(new DateTimeOffset(2025, 3, 1, 9, 0, 0, TimeSpan.Zero));
        await using var host = await StartAsync(Provider, clock: clock);
        using (var analyst = await host.ClientForAsync("epci-demo", "analyst"))
        {
            (await QueryOkAsync(analyst, CafByQpvAndType())).GetProperty("amendment").GetInt32().ShouldBe(0);
        }

        clock.MoveTo(new DateTimeOffset(2025, 8, 1, 9, 0, 0, TimeSpan.Zero));
        using var later = await host.ClientForAsync("epci-demo", "analyst");
        (await QueryOkAsync(later, CafByQpvAndType())).GetProperty("amendment").GetInt32().ShouldBe(1);

        (await CubeRowsAsync(host.Database)).ShouldBe(2);
        (await CountAsync(host.Database, "SELECT COUNT(DISTINCT clause_amendment) FROM protected_cubes")).ShouldBe(2);
        (await CubeBuiltEventsAsync(host)).ShouldBe(2);
    }

    [Fact]
    public async Task Two_gateways_on_one_database_build_the_cube_once()
    {
        await using var database = await TestDatabase.CreateAsync(Provider);
        await using var first = await StartAsync(Provider, database);
        await using var second = await StartAsync(Provider, database);
        using var onFirst = await first.ClientForAsync("epci-demo", "analyst");
        using var onSecond = await second.ClientForAsync("epci-demo", "analyst");

        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => QueryOkAsync(i % 2 == 0 ? onFirst : onSecond, CafByQpvAndType())));

        (await CubeRowsAsync(database)).ShouldBe(1);
        (await CubeBuiltEventsAsync(first)).ShouldBe(1);
        answers.Select(a => a.GetProperty("cells").GetRawText()).Distinct().Count().ShouldBe(1);
        (await first.VerifyAuditChainAsync()).Intact.ShouldBeTrue();
    }

    /// <summary>600 households spread over the QPVs and types (synthetic, for a new version).</summary>
    private static string NewCafVersion()
    {
        var csv = new StringBuilder("id_foyer;qpv;commune;type_menage;prestation;montant_mensuel\r\n");
        var qpvs = QpvCommunes.ToList();
        for (var i = 0; i < 600; i++)
        {
            var (qpv, commune) = qpvs[i % qpvs.Count];
            csv.Append(CultureInfo.InvariantCulture, $"N{i:D6};{qpv};{commune};{HouseholdTypes[i / 12 % HouseholdTypes.Length]};apl;{200 + (i % 50)},50\r\n");
        }

        return csv.ToString();
    }
}

public sealed class CubeBuildTests_on_Sqlite : CubeBuildTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class CubeBuildTests_on_PostgreSql : CubeBuildTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
