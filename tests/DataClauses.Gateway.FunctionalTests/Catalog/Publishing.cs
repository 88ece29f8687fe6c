using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Catalog;

/// <summary>
/// What the publishing tests share: the schemas each provider declares, valid rows of each dataset, uploads, and
/// direct reads of the database to check that a refused or interrupted upload left nothing behind.
/// </summary>
internal static class Publishing
{
    public const string Caf = "caf-foyers-allocataires";
    public const string FranceTravail = "ft-demandeurs-emploi";
    public const string Bailleur = "bailleur-logements";

    /// <summary>A dataset of the functional tests' own contract with integer, date and boolean dimensions.</summary>
    public const string TypedDataset = "caf-test-types";

    /// <summary>A dataset of the functional tests' own contract in the 2015 QPV zoning.</summary>
    public const string Zoning2015Dataset = "caf-test-2015";

    public const string CafHeader = "id_foyer;qpv;commune;type_menage;prestation;montant_mensuel";

    /// <summary>The provider of each dataset the tests publish.</summary>
    public static readonly IReadOnlyDictionary<string, string> Providers = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [Caf] = "caf-44",
        [FranceTravail] = "ft-pdl",
        [Bailleur] = "bailleur-atlantique",
        [TypedDataset] = "caf-44",
        [Zoning2015Dataset] = "caf-44",
    };

    /// <summary>The schemas the tests declare (the bailleur's rent is an integer here, to test integer measures).</summary>
    public static readonly IReadOnlyDictionary<string, string> Schemas = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [Caf] = """
            { "title": "Foyers allocataires (test)", "fields": [
              { "name": "id_foyer", "type": "string", "role": "unit-id" },
              { "name": "qpv", "type": "string", "role": "geo", "geo": "qpv" },
              { "name": "commune", "type": "string", "role": "geo", "geo": "commune" },
              { "name": "type_menage", "type": "string", "role": "dimension" },
              { "name": "prestation", "type": "string", "role": "dimension" },
              { "name": "montant_mensuel", "type": "number", "role": "measure", "constraints": { "minimum": 0 } } ] }
            """,
        [FranceTravail] = """
            { "fields": [
              { "name": "id_demandeur", "type": "string", "role": "unit-id" },
              { "name": "qpv", "type": "string", "role": "geo", "geo": "qpv" },
              { "name": "iris", "type": "string", "role": "geo", "geo": "iris" },
              { "name": "commune", "type": "string", "role": "geo", "geo": "commune" },
              { "name": "categorie", "type": "string", "role": "dimension" },
              { "name": "tranche_age", "type": "string", "role": "dimension" },
              { "name": "anciennete", "type": "string", "role": "dimension" } ] }
            """,
        [Bailleur] = """
            { "fields": [
              { "name": "id_logement", "type": "string", "role": "unit-id" },
              { "name": "qpv", "type": "string", "role": "geo", "geo": "qpv" },
              { "name": "commune", "type": "string", "role": "geo", "geo": "commune" },
              { "name": "typologie", "type": "string", "role": "dimension" },
              { "name": "tranche_revenu", "type": "string", "role": "dimension" },
              { "name": "statut", "type": "string", "role": "dimension" },
              { "name": "loyer_mensuel", "type": "integer", "role": "measure", "constraints": { "minimum": 0 } } ] }
            """,
        [TypedDataset] = """
            { "fields": [
              { "name": "id_foyer", "type": "string", "role": "unit-id" },
              { "name": "qpv", "type": "string", "role": "geo", "geo": "qpv" },
              { "name": "annee", "type": "integer", "role": "dimension" },
              { "name": "date_ref", "type": "date", "role": "dimension" },
              { "name": "handicap", "type": "boolean", "role": "dimension" },
              { "name": "nombre_enfants", "type": "integer", "role": "measure", "constraints": { "minimum": 0 } } ] }
            """,
        [Zoning2015Dataset] = """
            { "fields": [
              { "name": "id_foyer", "type": "string", "role": "unit-id" },
              { "name": "qpv", "type": "string", "role": "geo", "geo": "qpv" } ] }
            """,
    };

    /// <summary>
    /// A folder with a copy of the demo contracts and the functional tests' own contract (typed dimensions, 2015
    /// zoning), optionally amended by <paramref name="amend"/> (applied to the tests' contract's text).
    /// </summary>
    public static string PoliciesWithTestContract(Func<string, string>? amend = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "dataclauses-tests", "policies-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        foreach (var file in Directory.GetFiles(GatewayHost.PoliciesPath, "*.yaml"))
        {
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        }

        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Catalog", "Policies"), "*.yaml"))
        {
            var text = File.ReadAllText(file);
            var amended = amend is null ? text : amend(text);
            amended.ShouldNotBe(amend is null ? null : text, "the amendment changes nothing");
            File.WriteAllText(Path.Combine(directory, Path.GetFileName(file)), amended);
        }

        return directory;
    }

    /// <summary>Declares a dataset's test schema as its provider's demo publisher; fails the test when refused.</summary>
    public static async Task DeclareAsync(GatewayHost host, string datasetId)
    {
        using var publisher = await host.ClientForAsync(Providers[datasetId], "publisher");
        using var response = await publisher.PutAsync($"api/v1/datasets/{datasetId}", new StringContent(Schemas[datasetId], Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBeOneOf([HttpStatusCode.Created, HttpStatusCode.OK], body);
    }

    /// <summary>PUT a version with this body and content type.</summary>
    public static Task<HttpResponseMessage> UploadAsync(HttpClient client, string datasetId, string version, byte[] body, string? contentType = "text/csv")
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return client.PutAsync($"api/v1/datasets/{datasetId}/versions/{version}", content);
    }

    /// <summary>PUT a version from CSV text (UTF-8).</summary>
    public static Task<HttpResponseMessage> UploadAsync(HttpClient client, string datasetId, string version, string csv) =>
        UploadAsync(client, datasetId, version, Encoding.UTF8.GetBytes(csv));

    /// <summary>A valid CSV file of a demo dataset (as the test schemas or the synthetic ones declare it), with so many rows.</summary>
    public static string ValidCsv(string datasetId, int rows, int seed = 0)
    {
        var csv = new StringBuilder(Header(datasetId)).Append('\n');
        for (var i = 0; i < rows; i++)
        {
            csv.Append(ValidRow(datasetId, i + seed)).Append('\n');
        }

        return csv.ToString();
    }

    /// <summary>The header line of a demo dataset's files.</summary>
    public static string Header(string datasetId) => datasetId switch
    {
        Caf => CafHeader,
        FranceTravail => "id_demandeur;qpv;iris;commune;categorie;tranche_age;anciennete",
        Bailleur => "id_logement;qpv;commune;typologie;tranche_revenu;statut;loyer_mensuel",
        _ => throw new ArgumentOutOfRangeException(nameof(datasetId), datasetId, "No generator for this dataset."),
    };

    /// <summary>A valid row of a demo dataset (';'-separated; amounts are integers, valid as numbers and integers).</summary>
    public static string ValidRow(string datasetId, int i)
    {
        string[] qpv = ["QN04401M", "QN04406M", "QN04410M"];
        string[] communes = ["44901", "44902", "44903"];
        var q = i % 3;
        return datasetId switch
        {
            Caf => string.Create(CultureInfo.InvariantCulture, $"F{i:D7};{qpv[q]};{communes[q]};{(i % 2 == 0 ? "personne-seule" : "autre")};{(i % 4 == 0 ? "rsa" : "apl")};{100 + (i % 400)}"),
            FranceTravail => string.Create(CultureInfo.InvariantCulture, $"D{i:D7};{qpv[q]};{communes[q]}{1 + (i % 3):D4};{communes[q]};{"ABC"[i % 3]};25-49;moins-1-an"),
            Bailleur => string.Create(CultureInfo.InvariantCulture, $"L{i:D7};{qpv[q]};{communes[q]};T{1 + (i % 4)};20-40;occupe;{300 + (i % 200)}"),
            _ => throw new ArgumentOutOfRangeException(nameof(datasetId), datasetId, "No generator for this dataset."),
        };
    }

    /// <summary>The dv_ tables that exist, read from the database's catalogue.</summary>
    public static async Task<IReadOnlyList<string>> VersionTablesAsync(TestDatabase database)
    {
        var sql = database.Provider == StorageProvider.PostgreSql
            ? "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname LIKE 'dv\\_%' AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
            : "SELECT name FROM sqlite_master WHERE name LIKE 'dv\\_%' ESCAPE '\\' ORDER BY 1";
        return await StringsAsync(database, sql);
    }

    /// <summary>The table of every visible version, read from dataset_versions.</summary>
    public static Task<IReadOnlyList<string>> VersionRowTablesAsync(TestDatabase database) =>
        StringsAsync(database, "SELECT table_name FROM dataset_versions ORDER BY 1");

    /// <summary>The versions of a dataset, read from dataset_versions.</summary>
    public static Task<IReadOnlyList<string>> StoredVersionsAsync(TestDatabase database, string datasetId) =>
        StringsAsync(database, $"SELECT version FROM dataset_versions WHERE dataset_id = '{datasetId}' ORDER BY version");

    /// <summary>The rows of a version's table, counted directly.</summary>
    public static async Task<long> CountRowsAsync(TestDatabase database, string datasetId, string version)
    {
        var table = (string)(await database.ScalarAsync($"SELECT table_name FROM dataset_versions WHERE dataset_id = '{datasetId}' AND version = '{version}'"))!;
        table.ShouldMatch("^dv_[0-9a-f]{16}$");
        return Convert.ToInt64(await database.ScalarAsync($"SELECT COUNT(*) FROM \"{table}\""), CultureInfo.InvariantCulture);
    }

    /// <summary>The values of one column of a version's table, read directly (as text).</summary>
    public static async Task<IReadOnlyList<string>> ColumnAsync(TestDatabase database, string datasetId, string version, string column)
    {
        var table = (string)(await database.ScalarAsync($"SELECT table_name FROM dataset_versions WHERE dataset_id = '{datasetId}' AND version = '{version}'"))!;
        table.ShouldMatch("^dv_[0-9a-f]{16}$");
        column.ShouldMatch("^[a-z][a-z0-9_]*$");
        return await StringsAsync(database, $"SELECT \"{column}\" FROM \"{table}\"");
    }

    /// <summary>
    /// Nothing of a refused upload is left: no version row for it, and no dv_ table without a version row (every
    /// table there is belongs to a visible version); on SQLite, no spooled upload file either.
    /// </summary>
    public static async Task ShouldHaveLeftNothingAsync(GatewayHost host, string datasetId, string version)
    {
        (await StoredVersionsAsync(host.Database, datasetId)).ShouldNotContain(version);
        var tables = await VersionTablesAsync(host.Database);
        tables.ShouldBe(await VersionRowTablesAsync(host.Database), $"dv_ tables without a version row after refusing {datasetId} {version}");
        SpooledUploads(host.Database).ShouldBeEmpty();
    }

    /// <summary>Upload spool files the SQLite import left under the data directory.</summary>
    public static IReadOnlyList<string> SpooledUploads(TestDatabase database)
    {
        var uploads = Path.Combine(database.Directory, "uploads");
        return Directory.Exists(uploads) ? Directory.GetFiles(uploads) : [];
    }

    /// <summary>The audit events recorded under a response's correlation id.</summary>
    public static async Task<IReadOnlyList<AuditRecord>> AuditOfAsync(GatewayHost host, HttpResponseMessage response)
    {
        var correlationId = response.Headers.GetValues("X-Correlation-Id").Single();
        return [.. (await host.ReadAuditAsync()).Where(r => r.Event.CorrelationId == correlationId)];
    }

    /// <summary>A demo account's client id, e.g. caf-44-publisher.</summary>
    public static string ClientOf(string organisation, string role) => DemoAccounts.ClientId(organisation, role);

    public static async Task<IReadOnlyList<string>> StringsAsync(TestDatabase database, string sql)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
