using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataClauses.Audit;
using DataClauses.Cli;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DataClauses.Gateway.FunctionalTests.Audit;

/// <summary>What the audit tests share: calls to /api/v1/audit, events produced through the API, and tampering done as an attacker with database administrator rights would.</summary>
internal static class AuditApi
{
    /// <summary>GET /api/v1/audit/verify; asserts 200 and returns the body.</summary>
    public static async Task<JsonElement> VerifyAsync(HttpClient client, string query = "")
    {
        using var response = await client.GetAsync("api/v1/audit/verify" + query);
        var body = await GatewayHost.JsonOf(response);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body.ToString());
        return body;
    }

    /// <summary>Asserts a verification names exactly this first bad event and problem.</summary>
    public static void ShouldBeBrokenAt(this JsonElement verification, long sequence, string problem)
    {
        verification.GetProperty("intact").GetBoolean().ShouldBeFalse(verification.ToString());
        verification.GetProperty("problem").GetString().ShouldBe(problem, verification.ToString());
        verification.GetProperty("firstBadSequence").GetInt64().ShouldBe(sequence, verification.ToString());
    }

    /// <summary>POST /api/v1/audit/checkpoints; returns the checkpoint's sequence.</summary>
    public static async Task<long> SignCheckpointAsync(HttpClient client)
    {
        using var response = await client.PostAsync("api/v1/audit/checkpoints", null);
        var body = await GatewayHost.JsonOf(response);
        response.StatusCode.ShouldBeOneOf([HttpStatusCode.Created, HttpStatusCode.OK], body.ToString());
        return body.GetProperty("sequence").GetInt64();
    }

    /// <summary>Some events through the API: tokens of several organisations, an admin change, catalogue reads.</summary>
    public static async Task ProduceEventsAsync(GatewayHost host, int tokens = 6)
    {
        for (var i = 0; i < tokens; i++)
        {
            var (organisation, role) = DemoAccounts.All[i % DemoAccounts.All.Count];
            await host.GetDemoTokenAsync(organisation, role);
        }

        using var admin = await host.ClientForAsync("caf-44", "admin");
        using var created = await admin.PostAsJsonAsync("api/v1/admin/clients", new { clientId = $"caf-44-audit-{Guid.NewGuid():N}"[..28], roles = new[] { "publisher" } });
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        using var analyst = await host.ClientForAsync("epci-demo", "analyst");
        (await analyst.GetAsync("api/v1/catalog")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    /// <summary>Runs <c>dataclauses</c> in process; returns the exit code and what it printed.</summary>
    public static (int Exit, string Output, string Error) RunCli(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = CliApp.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>Lets the attacker write: PostgreSQL triggers disabled, SQLite triggers dropped.</summary>
    public static async Task DisableAppendOnlyAsync(TestDatabase database)
    {
        if (database.Provider == StorageProvider.PostgreSql)
        {
            await database.ExecuteAsync("ALTER TABLE audit_events DISABLE TRIGGER USER");
            await database.ExecuteAsync("ALTER TABLE audit_checkpoints DISABLE TRIGGER USER");
        }
        else
        {
            foreach (var trigger in new[] { "audit_events_no_update", "audit_events_no_delete", "audit_checkpoints_no_update", "audit_checkpoints_no_delete" })
            {
                await database.ExecuteAsync($"DROP TRIGGER IF EXISTS {trigger}");
            }
        }
    }

    /// <summary>Runs a statement with parameters on a connection of its own.</summary>
    public static async Task<int> ExecuteAsync(TestDatabase database, string sql, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>Writes a sealed event into a row (an attacker who knows the format): insert, or overwrite an existing sequence.</summary>
    public static Task<int> WriteRowAsync(TestDatabase database, SealedAuditEvent sealedEvent, bool insert)
    {
        var e = sealedEvent.Event;
        object time = database.Provider == StorageProvider.PostgreSql ? e.Timestamp : e.Timestamp.UtcTicks;
        var sql = insert
            ? "INSERT INTO audit_events (sequence, event_time, action, outcome, actor_subject, actor_organisation, data_owner, dataset, purpose, effect, correlation_id, node_id, canonical, previous_hash, hash) "
              + "VALUES (@sequence, @time, @action, @outcome, @subject, @organisation, @owner, @dataset, @purpose, @effect, @correlation, @node, @canonical, @previous, @hash)"
            : "UPDATE audit_events SET event_time = @time, action = @action, outcome = @outcome, actor_subject = @subject, actor_organisation = @organisation, data_owner = @owner, "
              + "dataset = @dataset, purpose = @purpose, effect = @effect, correlation_id = @correlation, node_id = @node, canonical = @canonical, previous_hash = @previous, hash = @hash WHERE sequence = @sequence";
        return ExecuteAsync(database, sql,
            ("sequence", sealedEvent.Sequence), ("time", time), ("action", e.Action), ("outcome", e.Outcome), ("subject", e.Actor.Subject),
            ("organisation", e.Actor.Organisation), ("owner", e.DataOwner), ("dataset", e.Dataset), ("purpose", e.Purpose), ("effect", e.Effect),
            ("correlation", e.CorrelationId), ("node", e.NodeId), ("canonical", sealedEvent.Canonical), ("previous", sealedEvent.PreviousHash), ("hash", sealedEvent.Hash));
    }

    /// <summary>Whether a statement is refused by the database.</summary>
    public static async Task<bool> IsRefusedAsync(Func<Task> statement)
    {
        try
        {
            await statement();
            return false;
        }
        catch (DbException ex) when (ex is NpgsqlException or SqliteException)
        {
            return true;
        }
    }
}
