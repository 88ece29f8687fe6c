using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataClauses.Audit;
using DataClauses.Disclosure;
using DataClauses.Gateway.FunctionalTests.Extracts;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using DataClauses.Gateway.Queries;

namespace DataClauses.Gateway.FunctionalTests.Queries;

/// <summary>A gateway host with the synthetic demo datasets published at start, shared by the tests of one class.</summary>
public abstract class SeededQueryFixture : IAsyncLifetime
{
    private GatewayHost? _host;

    public abstract StorageProvider Provider { get; }

    public GatewayHost Host => _host ?? throw new InvalidOperationException("The gateway host has not started.");

    public async Task InitializeAsync() => _host = await QueryHosts.StartAsync(Provider);

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

public sealed class SeededSqliteQueries : SeededQueryFixture
{
    public override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class SeededPostgreSqlQueries : SeededQueryFixture
{
    public override StorageProvider Provider => StorageProvider.PostgreSql;
}

/// <summary>Hosts, requests and direct reads the query tests share.</summary>
internal static class QueryHosts
{
    public const string Caf = "caf-foyers-allocataires";
    public const string FranceTravail = "ft-demandeurs-emploi";
    public const string CafVersion = "2024-12-31";
    public const string QueriesPath = "api/v1/queries";
    public const string DecisionsPath = "api/v1/policy/decisions";
    public const string IndicatorsPath = "api/v1/indicators";

    /// <summary>The statuses a cell may have: one mark, <c>secret</c>, for every suppressed cell (ADR 0006).</summary>
    public static readonly string[] Statuses = ["published", "rounded", "secret"];

    /// <summary>The demo contract's QPVs and their communes.</summary>
    public static readonly IReadOnlyDictionary<string, string> QpvCommunes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["QN04401M"] = "44901", ["QN04402M"] = "44901", ["QN04403N"] = "44901", ["QN04404M"] = "44901", ["QN04405N"] = "44901",
        ["QN04406M"] = "44902", ["QN04407N"] = "44902", ["QN04408M"] = "44902", ["QN04409N"] = "44902",
        ["QN04410M"] = "44903", ["QN04411N"] = "44903", ["QN04412I"] = "44903",
    };

    public static readonly string[] HouseholdTypes = ["personne-seule", "couple-sans-enfant", "couple-avec-enfants", "famille-monoparentale", "autre"];

    /// <summary>A host with the demo datasets seeded (on its own database unless one is given).</summary>
    public static Task<GatewayHost> StartAsync(StorageProvider provider, TestDatabase? database = null, TestClock? clock = null) =>
        GatewayHost.StartAsync(provider, new Dictionary<string, string?>(StringComparer.Ordinal) { ["DataClauses:SeedDemoDatasets"] = "true" }, database, clock);

    /// <summary>The permitted query of the issue: households by QPV and household type, for observation.</summary>
    public static object CafByQpvAndType(string? version = CafVersion) => new
    {
        dataset = Caf,
        version,
        purpose = "observation",
        dimensions = new[] { "qpv", "type_menage" },
        measures = new[] { "foyers" },
    };

    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, object body, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        return await client.SendAsync(request);
    }

    /// <summary>Posts a query that must succeed; returns its JSON answer.</summary>
    public static async Task<JsonElement> QueryOkAsync(HttpClient client, object body)
    {
        using var response = await PostAsync(client, QueriesPath, body);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public static string CorrelationIdOf(HttpResponseMessage response) => response.Headers.GetValues("X-Correlation-Id").Single();

    /// <summary>The one audit event of a response with this action.</summary>
    public static async Task<AuditEvent> AuditOfAsync(GatewayHost host, HttpResponseMessage response, string action)
    {
        var correlationId = CorrelationIdOf(response);
        var events = (await host.ReadAuditAsync()).Select(r => r.Event).Where(e => e.CorrelationId == correlationId && e.Action == action).ToList();
        events.Count.ShouldBe(1, $"{action} events of {correlationId}");
        return events[0];
    }

    public static async Task<long> CountAsync(TestDatabase database, string sql) =>
        Convert.ToInt64(await database.ScalarAsync(sql), CultureInfo.InvariantCulture);

    public static Task<long> CubeRowsAsync(TestDatabase database) => CountAsync(database, "SELECT COUNT(*) FROM protected_cubes");

    public static async Task<int> CubeBuiltEventsAsync(GatewayHost host) => (await host.ReadAuditAsync()).Count(r => r.Event.Action == "cube.built");

    /// <summary>The cells of an answer.</summary>
    public static IReadOnlyList<JsonElement> Cells(JsonElement answer) => [.. answer.GetProperty("cells").EnumerateArray()];

    public static bool IsSuppressed(JsonElement cell) => cell.GetProperty("status").GetString() == "secret";

    /// <summary>
    /// The protected cube an answer was sliced from, read back from storage: the ground truth of why each cell is
    /// secret, which no recipient-facing output carries.
    /// </summary>
    public static Task<ProtectedCube> StoredCubeOfAsync(GatewayHost host, JsonElement answer) => ExtractHosts.StoredCubeAsync(
        host.Database,
        answer.GetProperty("dataset").GetString()!,
        answer.GetProperty("version").GetString()!,
        answer.GetProperty("cube").GetProperty("fingerprint").GetString()!);

    /// <summary>The cube status of an answer's cell (its codes by the answer's dimension columns).</summary>
    public static CellStatus CubeStatusOf(ProtectedCube cube, JsonElement answer, JsonElement cell)
    {
        var codes = answer.GetProperty("dimensions").EnumerateArray().Select(d => d.GetString()!)
            .ToDictionary(d => d, d => cell.GetProperty(d).GetString()!, StringComparer.Ordinal);
        var filters = answer.GetProperty("filters").EnumerateObject()
            .ToDictionary(f => f.Name, f => f.Value.EnumerateArray().Select(v => v.GetString()!).ToArray(), StringComparer.Ordinal);
        return cube.StatusOf(ExtractHosts.CellOf(cube, codes, filters));
    }

    /// <summary>A cell's codes for some columns, joined (e.g. "QN04401M/autre").</summary>
    public static string Codes(JsonElement cell, params string[] columns) => string.Join('/', columns.Select(c => cell.GetProperty(c).GetString()));
}
