using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations;

/// <summary>
/// Lets a least-privilege runtime role purge old audit events without holding <c>DELETE</c> on the audit table:
/// the purge goes through a function owned by the migration owner, which deletes only below a stored anchor
/// checkpoint (the trigger of M0004 still checks it). SQLite has no roles: its migration is empty, so that both
/// providers keep the same list of migrations.
/// </summary>
internal static class RuntimeRoleSchema
{
    /// <summary>The function the runtime role calls instead of <c>DELETE FROM audit_events</c>.</summary>
    public const string PurgeFunction = "audit_purge_below_anchor";

    public static void Up(MigrationBuilder mb, bool pg)
    {
        if (!pg)
        {
            return;
        }

        // SECURITY DEFINER runs as the owner; a fixed search_path keeps a caller's temporary tables from shadowing
        // audit_checkpoints (pg_temp last).
        mb.Sql($"""
            CREATE FUNCTION {PurgeFunction}(anchor bigint) RETURNS bigint
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
            DECLARE
                removed bigint;
            BEGIN
                IF NOT EXISTS (SELECT 1 FROM audit_checkpoints c WHERE c.sequence = anchor AND c.kind = 'anchor') THEN
                    RAISE EXCEPTION 'no anchor checkpoint at audit event %', anchor USING ERRCODE = 'insufficient_privilege';
                END IF;
                PERFORM set_config('dataclauses.audit_purge_below', (anchor + 1)::text, true);
                DELETE FROM audit_events WHERE sequence <= anchor;
                GET DIAGNOSTICS removed = ROW_COUNT;
                PERFORM set_config('dataclauses.audit_purge_below', '', true);
                RETURN removed;
            END $$;
            REVOKE ALL ON FUNCTION {PurgeFunction}(bigint) FROM PUBLIC;
            """);
    }
}
