using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations;

/// <summary>
/// Signed checkpoints of the audit chain, and the only way old audit events may ever be deleted: the retention
/// purge, below a signed anchor checkpoint. The application never updates or deletes audit rows otherwise.
/// </summary>
internal static class AuditCheckpointsSchema
{
    public static void Up(MigrationBuilder mb, bool pg)
    {
        var instant = pg ? "timestamp with time zone" : "INTEGER";
        var bigint = pg ? "bigint" : "INTEGER";
        string Str(int length) => pg ? $"character varying({length})" : "TEXT";

        mb.CreateTable(
            name: "audit_checkpoints",
            columns: t => new
            {
                sequence = t.Column<long>(type: bigint, nullable: false),
                hash = t.Column<string>(type: Str(64), nullable: false),
                node_id = t.Column<string>(type: Str(100), nullable: false),
                key_id = t.Column<string>(type: Str(100), nullable: false),
                signed_at = t.Column<DateTimeOffset>(type: instant, nullable: false),
                signature = t.Column<string>(type: Str(200), nullable: false),
                kind = t.Column<string>(type: Str(20), nullable: false),
            },
            constraints: t => t.PrimaryKey("pk_audit_checkpoints", x => x.sequence));

        if (pg)
        {
            // Rows below the anchor may be deleted only by the retention purge, which sets dataclauses.audit_purge_below
            // to the anchor's sequence inside its own transaction; UPDATE and TRUNCATE stay refused.
            mb.Sql("""
                CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    below text := current_setting('dataclauses.audit_purge_below', true);
                BEGIN
                    IF TG_OP = 'DELETE' AND below IS NOT NULL AND below <> '' AND OLD.sequence < below::bigint
                       AND EXISTS (SELECT 1 FROM audit_checkpoints c WHERE c.sequence = below::bigint - 1 AND c.kind = 'anchor') THEN
                        RETURN OLD;
                    END IF;
                    RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
                END $$;
                CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'audit_checkpoints is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
                END $$;
                CREATE TRIGGER audit_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON audit_checkpoints
                    FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only();
                CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
                    FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_append_only();
                """);
        }
        else
        {
            // SQLite has no session settings: the purge drops and recreates the delete trigger inside its transaction.
            mb.Sql("CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;");
            mb.Sql("CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;");
        }
    }
}
