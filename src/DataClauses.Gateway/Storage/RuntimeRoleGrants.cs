using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;

namespace DataClauses.Gateway.Storage;

/// <summary>
/// What the runtime role may do on PostgreSQL, granted by <c>--migrate</c> (run as the migration owner) after the
/// migrations: read and write the application's tables, create the tables of published dataset versions, and on the
/// audit tables only read and append. It owns none of the migrated tables, so it can neither alter nor drop them nor
/// their triggers; old audit events leave only through the owner's purge function (M0005).
/// </summary>
internal static partial class RuntimeRoleGrants
{
    /// <summary>Tables the runtime role may only read and append to.</summary>
    private static readonly string[] AppendOnly = ["audit_events", "audit_checkpoints"];

    /// <summary>A role name quoted as is: letters, digits and underscores, at most 63 characters.</summary>
    public static bool IsRoleName(string name) => RoleName().IsMatch(name);

    /// <summary>The statements, in order (also shown in deploy/README.md).</summary>
    public static IReadOnlyList<string> Statements(string schema, string role)
    {
        if (!IsRoleName(role))
        {
            throw new ArgumentException($"'{role}' is not a plain role name.", nameof(role));
        }

        var r = $"\"{role}\"";
        var s = $"\"{schema.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
        var statements = new List<string>
        {
            // CREATE: every published dataset version is a table of its own, created (and so owned) by the runtime.
            $"GRANT USAGE, CREATE ON SCHEMA {s} TO {r}",
            $"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
            $"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
            $"REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {s}.\"__EFMigrationsHistory\" FROM {r}",
        };
        statements.AddRange(AppendOnly.Select(table => $"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {s}.{table} FROM {r}"));
        statements.Add($"GRANT EXECUTE ON FUNCTION {s}.{Migrations.RuntimeRoleSchema.PurgeFunction}(bigint) TO {r}");
        return statements;
    }

    /// <summary>Grants the runtime role its rights on the current schema (PostgreSQL only; idempotent).</summary>
    public static async Task ApplyAsync(GatewayDbContext db, string role, CancellationToken cancellationToken)
    {
        var schema = await db.Database.SqlQueryRaw<string>("SELECT current_schema() AS \"Value\"").SingleAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var statement in Statements(schema, role))
        {
            // The role name is checked by IsRoleName and the schema quoted: no request input reaches here.
            await db.Database.ExecuteSqlRawAsync(statement, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex RoleName();
}
