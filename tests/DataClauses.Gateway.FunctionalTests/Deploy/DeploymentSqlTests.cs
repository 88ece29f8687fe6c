using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using DataClauses.Gateway.FunctionalTests.Queries;
using Npgsql;

namespace DataClauses.Gateway.FunctionalTests.Deploy;

/// <summary>
/// deploy/postgres/init.sql run as the postgres image's entrypoint runs it, then <c>--migrate</c> as the owner, then
/// the gateway as the runtime role: it serves, audits, and cannot change or remove audit rows nor their triggers.
/// </summary>
public sealed class DeploymentSqlTests
{
    private static readonly string RepositoryRoot = typeof(DeploymentSqlTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;

    private static string InitSql => Path.Combine(RepositoryRoot, "deploy", "postgres", "init.sql");

    [Fact]
    public async Task Init_sql_then_migrate_as_owner_lets_the_runtime_role_serve_and_append_but_never_rewrite_the_audit()
    {
        await using var roles = await DeploymentRoles.CreateAsync();
        var (exit, output) = await roles.RunInitSqlAsync(ownerPassword: "owner-pw", runtimePassword: "runtime-pw");
        exit.ShouldBe(0, output);

        var runtimeSettings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataClauses:Storage:MigrateOnStart"] = "false",
            ["DataClauses:SeedDemoDatasets"] = "true",
        };

        // Before --migrate the runtime role cannot create the schema, and the gateway says what to run.
        var early = await Should.ThrowAsync<InvalidOperationException>(() => GatewayHost.StartAsync(StorageProvider.PostgreSql, runtimeSettings, roles.Database.As(roles.Runtime)));
        early.Message.ShouldContain("--migrate");

        await using (var migrate = GatewayHost.Build(roles.Database.As(roles.Owner), TestClock.StartingNow(), new Dictionary<string, string?> { ["DataClauses:Storage:RuntimeRole"] = roles.Runtime }))
        {
            (await GatewayApp.MigrateAsync(migrate)).ShouldBe(0);
        }

        (await roles.Database.ScalarAsync("SELECT COUNT(*) FROM \"__EFMigrationsHistory\"")).ShouldBe((long)Migrations.Count);
        (await roles.Database.ScalarAsync("SELECT tableowner::text FROM pg_tables WHERE tablename = 'audit_events'")).ShouldBe(roles.Owner);

        // The runtime role starts on the current schema, seeds (creating the tables of dataset versions), answers a
        // protected query and appends its audit events.
        await using (var host = await GatewayHost.StartAsync(StorageProvider.PostgreSql, runtimeSettings, roles.Database.As(roles.Runtime)))
        {
            using var analyst = await host.ClientForAsync("epci-demo", "analyst");
            var before = (long)(await roles.Database.ScalarAsync("SELECT COUNT(*) FROM audit_events"))!;
            using var answer = await QueryHosts.PostAsync(analyst, QueryHosts.QueriesPath, QueryHosts.CafByQpvAndType());
            answer.StatusCode.ShouldBe(HttpStatusCode.OK, await answer.Content.ReadAsStringAsync());
            ((long)(await roles.Database.ScalarAsync("SELECT COUNT(*) FROM audit_events"))!).ShouldBeGreaterThan(before);
            (await host.VerifyAuditChainAsync()).Intact.ShouldBeTrue();
        }

        await using var runtime = await roles.Database.As(roles.Runtime).OpenAsync();
        // Refused by the missing privilege or ownership itself, not only by the append-only trigger (same SQLSTATE).
        const string Privilege = "permission denied", Ownership = "must be owner";
        foreach (var (sql, refusal) in new[]
        {
            ("UPDATE audit_events SET outcome = 'success'", Privilege),
            ("DELETE FROM audit_events", Privilege),
            ("TRUNCATE audit_events", Privilege),
            ("UPDATE audit_checkpoints SET kind = 'anchor'", Privilege),
            ("TRUNCATE audit_checkpoints", Privilege),
            ("DROP TRIGGER audit_events_no_update_delete ON audit_events", Ownership),
            ("DROP TRIGGER audit_events_no_truncate ON audit_events", Ownership),
            ("ALTER TABLE audit_events DISABLE TRIGGER ALL", Ownership),
            ("DROP TABLE audit_events", Ownership),
            ("DROP FUNCTION audit_events_append_only() CASCADE", Ownership),
        })
        {
            var refused = await Should.ThrowAsync<PostgresException>(() => ExecuteAsync(runtime, sql));
            refused.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege, sql);
            refused.MessageText.ShouldStartWith(refusal, Case.Sensitive, sql);
        }

        // The purge function deletes nothing without a stored anchor checkpoint.
        var purge = await Should.ThrowAsync<PostgresException>(() => ExecuteAsync(runtime, "SELECT audit_purge_below_anchor((SELECT max(sequence) FROM audit_events))"));
        purge.MessageText.ShouldContain("no anchor checkpoint");
        (await roles.Database.ScalarAsync("SELECT COUNT(*) FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass AND NOT tgisinternal")).ShouldBe(2L);
    }

    [Fact]
    public async Task Init_sql_stops_the_entrypoint_when_a_password_is_missing()
    {
        await using var roles = await DeploymentRoles.CreateAsync();

        var (exit, output) = await roles.RunInitSqlAsync(ownerPassword: "owner-pw", runtimePassword: null);

        exit.ShouldBe(3, output); // psql's exit code for an error with ON_ERROR_STOP: the entrypoint aborts.
        output.ShouldContain("DATACLAUSES_RUNTIME_PASSWORD is not set");
        (await roles.Database.ScalarAsync($"SELECT COUNT(*) FROM pg_roles WHERE rolname = '{roles.Runtime}'")).ShouldBe(0L);
    }

    private static async Task ExecuteAsync(System.Data.Common.DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// A database and the three roles of a deployment, with names of their own (roles are shared by the whole test
    /// cluster): the image's POSTGRES_USER (a superuser that owns POSTGRES_DB), the owner and the runtime role.
    /// </summary>
    private sealed class DeploymentRoles : IAsyncDisposable
    {
        private readonly string _admin;

        private DeploymentRoles(string admin, TestDatabase database, string suffix)
        {
            _admin = admin;
            Database = database;
            ImageUser = "pgimage_" + suffix;
            Owner = "dc_owner_" + suffix;
            Runtime = "dc_app_" + suffix;
        }

        public TestDatabase Database { get; }

        public string ImageUser { get; }

        public string Owner { get; }

        public string Runtime { get; }

        public static async Task<DeploymentRoles> CreateAsync()
        {
            var database = await TestDatabase.CreateAsync(StorageProvider.PostgreSql);
            var roles = new DeploymentRoles(await TestPostgres.GetConnectionStringAsync(), database, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5)));

            // What the image's initdb and entrypoint did before running /docker-entrypoint-initdb.d.
            await roles.AdminAsync($"CREATE ROLE {roles.ImageUser} LOGIN SUPERUSER; ALTER DATABASE {database.Name} OWNER TO {roles.ImageUser}");
            return roles;
        }

        /// <summary>psql exactly as docker-entrypoint.sh's docker_process_sql runs an initdb.d .sql file.</summary>
        public async Task<(int Exit, string Output)> RunInitSqlAsync(string? ownerPassword, string? runtimePassword)
        {
            var server = new NpgsqlConnectionStringBuilder(Database.ConnectionString);
            var start = new ProcessStartInfo("psql")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "-v", "ON_ERROR_STOP=1", "--username", ImageUser, "--no-password", "--no-psqlrc", "--dbname", Database.Name!, "--host", server.Host!, "--port", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-f", InitSql })
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["DATACLAUSES_OWNER_ROLE"] = Owner;
            start.Environment["DATACLAUSES_RUNTIME_ROLE"] = Runtime;
            SetOrRemove(start, "DATACLAUSES_OWNER_PASSWORD", ownerPassword);
            SetOrRemove(start, "DATACLAUSES_RUNTIME_PASSWORD", runtimePassword);
            Process process;
            try
            {
                process = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new InvalidOperationException("psql is needed to run deploy/postgres/init.sql (apt-get install -y postgresql-client).", ex);
            }

            using (process)
            {
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                await process.WaitForExitAsync();
                return (process.ExitCode, await stdout + await stderr);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Database.DisposeAsync();
            await AdminAsync($"DROP ROLE IF EXISTS {Runtime}; DROP ROLE IF EXISTS {Owner}; DROP ROLE IF EXISTS {ImageUser}");
        }

        private static void SetOrRemove(ProcessStartInfo start, string name, string? value)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        private async Task AdminAsync(string sql)
        {
            await using var connection = new NpgsqlConnection(_admin);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}
