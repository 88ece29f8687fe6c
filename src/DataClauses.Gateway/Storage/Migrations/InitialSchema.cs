using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations;

/// <summary>
/// The first schema, written once for both providers (EF Core's design-time package is not available here, so
/// migrations are written by hand with the same MigrationBuilder API; see docs/adr/0002).
/// </summary>
internal static class InitialSchema
{
    public static void Up(MigrationBuilder mb, bool pg)
    {
        var text = pg ? "text" : "TEXT";
        var instant = pg ? "timestamp with time zone" : "INTEGER";
        var integer = pg ? "integer" : "INTEGER";
        var bigint = pg ? "bigint" : "INTEGER";
        var boolean = pg ? "boolean" : "INTEGER";
        string Str(int length) => pg ? $"character varying({length})" : "TEXT";

        mb.CreateTable(
            name: "clients",
            columns: t => new
            {
                client_id = t.Column<string>(type: Str(100), nullable: false),
                organisation_id = t.Column<string>(type: Str(100), nullable: false),
                roles = t.Column<string>(type: Str(200), nullable: false),
                description = t.Column<string>(type: Str(500), nullable: true),
                secret_hash = t.Column<string>(type: Str(200), nullable: false),
                disabled = t.Column<bool>(type: boolean, nullable: false),
                created_at = t.Column<DateTimeOffset>(type: instant, nullable: false),
                secret_rotated_at = t.Column<DateTimeOffset>(type: instant, nullable: false),
            },
            constraints: t => t.PrimaryKey("pk_clients", x => x.client_id));
        mb.CreateIndex("ix_clients_organisation_id", "clients", "organisation_id");

        mb.CreateTable(
            name: "users",
            columns: t => new
            {
                user_name = t.Column<string>(type: Str(100), nullable: false),
                organisation_id = t.Column<string>(type: Str(100), nullable: false),
                roles = t.Column<string>(type: Str(200), nullable: false),
                display_name = t.Column<string>(type: Str(200), nullable: false),
                password_hash = t.Column<string>(type: Str(500), nullable: false),
                failed_attempts = t.Column<int>(type: integer, nullable: false),
                lockout_end = t.Column<DateTimeOffset>(type: instant, nullable: true),
                created_at = t.Column<DateTimeOffset>(type: instant, nullable: false),
            },
            constraints: t => t.PrimaryKey("pk_users", x => x.user_name));

        mb.CreateTable(
            name: "signing_keys",
            columns: t => new
            {
                key_id = t.Column<string>(type: Str(100), nullable: false),
                algorithm = t.Column<string>(type: Str(20), nullable: false),
                protected_private_key = t.Column<string>(type: text, nullable: false),
                public_jwk = t.Column<string>(type: text, nullable: false),
                created_at = t.Column<DateTimeOffset>(type: instant, nullable: false),
                activates_at = t.Column<DateTimeOffset>(type: instant, nullable: false),
                retires_at = t.Column<DateTimeOffset>(type: instant, nullable: false),
                expires_at = t.Column<DateTimeOffset>(type: instant, nullable: false),
            },
            constraints: t => t.PrimaryKey("pk_signing_keys", x => x.key_id));

        mb.CreateTable(
            name: "data_protection_keys",
            columns: t => new
            {
                id = pg
                    ? t.Column<int>(type: integer, nullable: false).Annotation("Npgsql:ValueGenerationStrategy", Npgsql.EntityFrameworkCore.PostgreSQL.Metadata.NpgsqlValueGenerationStrategy.IdentityByDefaultColumn)
                    : t.Column<int>(type: integer, nullable: false).Annotation("Sqlite:Autoincrement", true),
                friendly_name = t.Column<string>(type: Str(200), nullable: true),
                xml = t.Column<string>(type: text, nullable: false),
            },
            constraints: t => t.PrimaryKey("pk_data_protection_keys", x => x.id));

        mb.CreateTable(
            name: "datasets",
            columns: t => new
            {
                dataset_id = t.Column<string>(type: Str(100), nullable: false),
                contract_id = t.Column<string>(type: Str(100), nullable: false),
                provider_id = t.Column<string>(type: Str(100), nullable: false),
                title = t.Column<string>(type: Str(500), nullable: false),
                schema_json = t.Column<string>(type: text, nullable: false),
                unit_id_key = t.Column<string>(type: Str(200), nullable: false),
                created_at = t.Column<DateTimeOffset>(type: instant, nullable: false),
                updated_at = t.Column<DateTimeOffset>(type: instant, nullable: false),
                declared_by = t.Column<string>(type: Str(200), nullable: false),
            },
            constraints: t => t.PrimaryKey("pk_datasets", x => x.dataset_id));

        mb.CreateTable(
            name: "dataset_versions",
            columns: t => new
            {
                dataset_id = t.Column<string>(type: Str(100), nullable: false),
                version = t.Column<string>(type: Str(64), nullable: false),
                table_name = t.Column<string>(type: Str(63), nullable: false),
                row_count = t.Column<long>(type: bigint, nullable: false),
                content_sha256 = t.Column<string>(type: Str(64), nullable: false),
                schema_json = t.Column<string>(type: text, nullable: false),
                published_at = t.Column<DateTimeOffset>(type: instant, nullable: false),
                published_by = t.Column<string>(type: Str(200), nullable: false),
            },
            constraints: t => t.PrimaryKey("pk_dataset_versions", x => new { x.dataset_id, x.version }));
        mb.CreateIndex("ix_dataset_versions_table_name", "dataset_versions", "table_name", unique: true);

        mb.CreateTable(
            name: "audit_events",
            columns: t => new
            {
                sequence = t.Column<long>(type: bigint, nullable: false),
                event_time = t.Column<DateTimeOffset>(type: instant, nullable: false),
                action = t.Column<string>(type: Str(100), nullable: false),
                outcome = t.Column<string>(type: Str(20), nullable: false),
                actor_subject = t.Column<string>(type: Str(200), nullable: false),
                actor_organisation = t.Column<string>(type: Str(100), nullable: true),
                data_owner = t.Column<string>(type: Str(100), nullable: true),
                dataset = t.Column<string>(type: Str(100), nullable: true),
                purpose = t.Column<string>(type: Str(100), nullable: true),
                effect = t.Column<string>(type: Str(30), nullable: true),
                correlation_id = t.Column<string>(type: Str(100), nullable: false),
                node_id = t.Column<string>(type: Str(100), nullable: false),
                canonical = t.Column<string>(type: text, nullable: false),
                previous_hash = t.Column<string>(type: Str(64), nullable: false),
                hash = t.Column<string>(type: Str(64), nullable: false),
            },
            constraints: t => t.PrimaryKey("pk_audit_events", x => x.sequence));
        mb.CreateIndex("ix_audit_events_event_time", "audit_events", "event_time");
        mb.CreateIndex("ix_audit_events_actor_organisation", "audit_events", "actor_organisation");
        mb.CreateIndex("ix_audit_events_data_owner", "audit_events", "data_owner");
        mb.CreateIndex("ix_audit_events_dataset", "audit_events", "dataset");

        // The audit table is append-only: the database refuses UPDATE, DELETE (and TRUNCATE on PostgreSQL).
        if (pg)
        {
            mb.Sql("""
                CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
                END $$;
                CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
                    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
                CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
                    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
                """);
        }
        else
        {
            mb.Sql("CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;");
            mb.Sql("CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;");
        }
    }
}
