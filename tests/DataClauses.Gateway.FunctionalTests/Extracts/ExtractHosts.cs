using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DataClauses.Audit;
using DataClauses.Gateway.Extracts;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using DataClauses.Gateway.Queries;

namespace DataClauses.Gateway.FunctionalTests.Extracts;

/// <summary>
/// A gateway host with the synthetic demo datasets, whose producers make extracts ready in the background as soon as
/// they are approved (the retention pass only runs when a test asks: its clock never moves). Shared by a class.
/// </summary>
public abstract class ExtractHostFixture : IAsyncLifetime
{
    private GatewayHost? _host;

    public abstract StorageProvider Provider { get; }

    public GatewayHost Host => _host ?? throw new InvalidOperationException("The gateway host has not started.");

    public async Task InitializeAsync() => _host = await ExtractHosts.StartAsync(Provider, producers: 2);

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

public sealed class SqliteExtractHost : ExtractHostFixture
{
    public override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class PostgreSqlExtractHost : ExtractHostFixture
{
    public override StorageProvider Provider => StorageProvider.PostgreSql;
}

/// <summary>Hosts, request bodies, waits and checks the extract tests share.</summary>
internal static class ExtractHosts
{
    public const string ExtractsPath = "api/v1/extracts";
    public const string FranceTravail = "ft-demandeurs-emploi";
    public const string Caf = "caf-foyers-allocataires";
    public const string Bailleur = "bailleur-logements";
    public const string Justification = "Diagnostic annuel des quartiers pour le comité de pilotage.";

    /// <summary>
    /// A host with the demo datasets. <paramref name="producers"/> = 0 leaves production to
    /// <see cref="ExtractJobs.RunOnceAsync"/>, which the tests call: nothing then happens behind their back.
    /// The periodic pass is always off.
    /// </summary>
    public static Task<GatewayHost> StartAsync(
        StorageProvider provider, int producers = 0, TestDatabase? database = null, TestClock? clock = null, string? policies = null)
    {
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataClauses:SeedDemoDatasets"] = "true",
            ["DataClauses:Extracts:PollInterval"] = "00:00:00",
            ["DataClauses:Extracts:Producers"] = producers.ToString(CultureInfo.InvariantCulture),
        };
        if (policies is not null)
        {
            settings["DataClauses:PoliciesPath"] = policies;
        }

        return GatewayHost.StartAsync(provider, settings, database, clock);
    }

    internal static ExtractJobs Jobs(this GatewayHost host) => host.Services.GetRequiredService<ExtractJobs>();

    /// <summary>A table of job seekers (France Travail: automatic approval, P6M at most).</summary>
    public static object FtTable(string[]? dimensions = null, object? filters = null) =>
        new { dataset = FranceTravail, dimensions = dimensions ?? ["qpv", "categorie"], measures = new[] { "demandeurs" }, filters };

    /// <summary>A table of CAF households (steward approval).</summary>
    public static object CafTable(string[]? dimensions = null) =>
        new { dataset = Caf, version = "2024-12-31", dimensions = dimensions ?? ["qpv", "type_menage"], measures = new[] { "foyers", "montant_mensuel" } };

    /// <summary>A table of social dwellings (four-eyes approval).</summary>
    public static object BailleurTable() =>
        new { dataset = Bailleur, dimensions = new[] { "commune", "typologie" }, measures = new[] { "logements", "loyer_mensuel" } };

    public static object Body(object[] tables, string purpose = "observation", string retention = "P3M", string justification = Justification) =>
        new { tables, purpose, justification, retention };

    public static async Task<HttpResponseMessage> RequestAsync(HttpClient client, object body) => await client.PostAsJsonAsync(ExtractsPath, body);

    /// <summary>Requests an extract that must be accepted; returns its view.</summary>
    public static async Task<JsonElement> RequestOkAsync(HttpClient client, object body)
    {
        using var response = await RequestAsync(client, body);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.Created, text);
        var view = JsonDocument.Parse(text).RootElement.Clone();
        response.Headers.Location!.ToString().ShouldBe($"/{ExtractsPath}/{view.GetProperty("id").GetString()}");
        return view;
    }

    public static string IdOf(JsonElement view) => view.GetProperty("id").GetString()!;

    public static string StatusOf(JsonElement view) => view.GetProperty("status").GetString()!;

    public static async Task<JsonElement> GetOkAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync($"{ExtractsPath}/{id}");
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Polls the extract (real background work) until it has this status; fails after a minute.</summary>
    public static async Task<JsonElement> WaitForStatusAsync(HttpClient client, string id, string status)
    {
        var deadline = Environment.TickCount64 + 60_000;
        while (true)
        {
            var view = await GetOkAsync(client, id);
            if (StatusOf(view) == status)
            {
                return view;
            }

            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"Extract {id} is still '{StatusOf(view)}', not '{status}', after a minute: {view}");
            }

            await Task.Delay(50);
        }
    }

    public static Task<HttpResponseMessage> VoteAsync(HttpClient client, string id, string vote, string? comment = null) =>
        comment is null ? client.PostAsync($"{ExtractsPath}/{id}/{vote}", null) : client.PostAsJsonAsync($"{ExtractsPath}/{id}/{vote}", new { comment });

    public static async Task<JsonElement> VoteOkAsync(HttpClient client, string id, string vote, string? comment = null)
    {
        using var response = await VoteAsync(client, id, vote, comment);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static Task<HttpResponseMessage> DownloadAsync(HttpClient client, string id, string format, int? table = null) =>
        client.GetAsync($"{ExtractsPath}/{id}/file?format={format}{(table is { } t ? "&table=" + t.ToString(CultureInfo.InvariantCulture) : string.Empty)}");

    public static async Task<byte[]> DownloadOkAsync(HttpClient client, string id, string format, int? table = null)
    {
        using var response = await DownloadAsync(client, id, format, table);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, Encoding.UTF8.GetString(bytes));
        return bytes;
    }

    /// <summary>The audit events about one extract, in chain order.</summary>
    public static async Task<IReadOnlyList<AuditEvent>> AuditOfAsync(GatewayHost host, string id) =>
        [.. (await host.ReadAuditAsync()).Select(r => r.Event).Where(e => e.Details.TryGetValue("extract", out var x) && x == id)];

    public static async Task<IReadOnlyList<string>> ActionsOfAsync(GatewayHost host, string id) => [.. (await AuditOfAsync(host, id)).Select(e => e.Action)];

    public static async Task<long> CountAsync(TestDatabase database, string sql) => Convert.ToInt64(await database.ScalarAsync(sql), CultureInfo.InvariantCulture);

    public static Task<long> FileRowsAsync(TestDatabase database, string id) => CountAsync(database, $"SELECT COUNT(*) FROM extract_files WHERE extract_id = '{id}'");

    /// <summary>A copy of the policies folder with one edit of the demo contract (fails when the edit changes nothing).</summary>
    public static string PoliciesWith(Func<string, string> edit)
    {
        var directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dataclauses-tests", "policies-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        foreach (var file in Directory.GetFiles(GatewayHost.PoliciesPath, "*.yaml"))
        {
            var text = File.ReadAllText(file);
            var edited = System.IO.Path.GetFileName(file) == "cdv-demo-2024-2030.yaml" ? edit(text) : text;
            if (System.IO.Path.GetFileName(file) == "cdv-demo-2024-2030.yaml")
            {
                edited.ShouldNotBe(text, "the edit changes nothing");
            }

            File.WriteAllText(System.IO.Path.Combine(directory, System.IO.Path.GetFileName(file)), edited);
        }

        return directory;
    }

    /// <summary>The protected cube a produced table was sliced from, read back from <c>protected_cubes</c> (not from the gateway's memory).</summary>
    public static async Task<ProtectedCube> StoredCubeAsync(TestDatabase database, string dataset, string version, string fingerprint)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT contract_id, clause_id, clause_amendment, payload FROM protected_cubes WHERE dataset_id = '{dataset}' AND version = '{version}' AND fingerprint = '{fingerprint}'";
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).ShouldBeTrue($"no stored cube {dataset}@{version} {fingerprint}");
        var key = new CubeKey(dataset, version, reader.GetString(0), reader.GetString(1), reader.GetInt32(2), fingerprint);
        return CubePayload.Read((byte[])reader.GetValue(3), key, DateTimeOffset.UnixEpoch);
    }

    /// <summary>
    /// Checks a produced CSV table against its protected cube, cell by cell: each row names one cell of the cube (codes
    /// read independently of the slicing code), its status is the cube's, a suppressed cell shows <c>s</c> for every
    /// measure, and a published value is the cube's. Returns the number of suppressed cells seen.
    /// </summary>
    public static int ShouldMatchCube(string csvText, ProtectedCube cube, IReadOnlyList<string> measures, IReadOnlyDictionary<string, string[]> filters)
    {
        csvText.ShouldEndWith("\r\n");
        var lines = csvText[..^2].Split("\r\n");
        var header = lines[0].Split(';');
        header.Length.ShouldBe(header.Distinct().Count());
        var status = header[^1];
        status.ShouldBeOneOf("statut", "statut_cellule");
        header[^(measures.Count + 1)..^1].ShouldBe(measures);
        var columns = header[..^(measures.Count + 1)];
        var suppressed = 0;
        var seen = new HashSet<int>();
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(';');
            fields.Length.ShouldBe(header.Length, line);
            var codes = columns.Select((c, i) => (c, fields[i])).ToDictionary(p => p.c, p => p.Item2, StringComparer.Ordinal);
            var cell = CellOf(cube, codes, filters);
            seen.Add(cell).ShouldBeTrue($"row '{line}' repeats a cell");
            fields[^1].ShouldBe(QueryAnswer.StatusName(cube.StatusOf(cell)), line);
            for (var m = 0; m < measures.Count; m++)
            {
                var field = fields[columns.Length + m];
                var index = cube.MeasureIndex(measures[m]);
                if (!cube.IsPublished(cell))
                {
                    field.ShouldBe("s", $"suppressed cell '{line}' must carry no value");
                    cube.ValueOf(index, cell).ShouldBeNull();
                }
                else
                {
                    field.ShouldNotBe("s", line);
                    decimal.Parse(field.Replace(',', '.'), NumberStyles.Number, CultureInfo.InvariantCulture).ShouldBe(cube.ValueOf(index, cell)!.Value, line);
                }
            }

            if (!cube.IsPublished(cell))
            {
                suppressed++;
            }
        }

        return suppressed;
    }

    /// <summary>The same check for one table of the JSON file (cells with null for suppressed values).</summary>
    public static int ShouldMatchCube(JsonElement table, ProtectedCube cube, IReadOnlyDictionary<string, string[]> filters)
    {
        var columns = table.GetProperty("dimensions").EnumerateArray().Select(d => d.GetString()!).ToList();
        var measures = table.GetProperty("measures").EnumerateArray().Select(d => d.GetString()!).ToList();
        var suppressed = 0;
        foreach (var row in table.GetProperty("cells").EnumerateArray())
        {
            var codes = columns.ToDictionary(c => c, c => row.GetProperty(c).GetString()!, StringComparer.Ordinal);
            var cell = CellOf(cube, codes, filters);
            var statusName = row.TryGetProperty("cellStatus", out var cs) ? cs : row.GetProperty("status");
            statusName.GetString().ShouldBe(QueryAnswer.StatusName(cube.StatusOf(cell)));
            foreach (var measure in measures)
            {
                var value = row.GetProperty(measure);
                if (!cube.IsPublished(cell))
                {
                    value.ValueKind.ShouldBe(JsonValueKind.Null, row.ToString());
                }
                else
                {
                    value.GetDecimal().ShouldBe(cube.ValueOf(cube.MeasureIndex(measure), cell)!.Value, row.ToString());
                }
            }

            if (!cube.IsPublished(cell))
            {
                suppressed++;
            }
        }

        return suppressed;
    }

    /// <summary>
    /// The cube cell a row names: a categorical dimension by its column (or its one filtered value, or its total); the
    /// geographic dimension by the finest of its columns that is not a total.
    /// </summary>
    public static int CellOf(ProtectedCube cube, IReadOnlyDictionary<string, string> codes, IReadOnlyDictionary<string, string[]> filters)
    {
        var indexes = new int[cube.Dimensions.Count];
        for (var d = 0; d < cube.Dimensions.Count; d++)
        {
            var dimension = cube.Dimensions[d];
            string? code;
            if (dimension.IsGeo)
            {
                code = dimension.GeoColumns.OrderBy(g => g.Value)
                    .Select(g => codes.TryGetValue(g.Key, out var c) && c != "Total" ? c : filters.TryGetValue(g.Key, out var f) && f.Length == 1 && !codes.ContainsKey(g.Key) ? f[0] : null)
                    .FirstOrDefault(c => c is not null);
            }
            else
            {
                code = codes.TryGetValue(dimension.Name, out var c) ? c : filters.TryGetValue(dimension.Name, out var f) && f.Length == 1 ? f[0] : null;
            }

            indexes[d] = code is null or "Total" ? 0 : dimension.Hierarchy.IndexOf(code);
            indexes[d].ShouldBeGreaterThanOrEqualTo(0, $"'{code}' is not a code of {dimension.Name}");
        }

        return cube.IndexOf(indexes);
    }

    /// <summary>The extract's CSV text without its byte order mark (checked).</summary>
    public static string CsvText(byte[] bytes)
    {
        bytes.Take(3).ShouldBe(new byte[] { 0xEF, 0xBB, 0xBF });
        return Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);
    }
}
