using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations;

/// <summary>
/// The extracts tables (see docs/extracts.md), written once for both providers like <see cref="InitialSchema"/>:
/// requests and their life, stewards' votes, and the encrypted files, which purging deletes.
/// </summary>
internal static class ExtractsSchema
{
    public static void Up(MigrationBuilder mb, bool pg)
    {
        var text = pg ? "text" : "TEXT";
        var instant = pg ? "timestamp with time zone" : "INTEGER";
        var integer = pg ? "integer" : "INTEGER";
        var bigint = pg ? "bigint" : "INTEGER";
        var boolean = pg ? "boolean" : "INTEGER";
        var bytes = pg ? "bytea" : "BLOB";
        string Str(int length) => pg ? $"character varying({length})" : "TEXT";

        mb.CreateTable(
            name: "extracts",
            columns: t => new
            {
                id = t.Column<string>(type: Str(32), nullable: false),
                requester_subject = t.Column<string>(type: Str(200), nullable: false),
                requester_client_id = t.Column<string>(type: Str(100), nullable: true),
                requester_organisation = t.Column<string>(type: Str(100), nullable: false),
                requester_roles = t.Column<string>(type: Str(200), nullable: false),
                providers = t.Column<string>(type: text, nullable: false),
                purpose = t.Column<string>(type: Str(100), nullable: false),
                justification = t.Column<string>(type: text, nullable: false),
                requested_retention = t.Column<string>(type: Str(50), nullable: false),
                tables_json = t.Column<string>(type: text, nullable: false),
                decision_json = t.Column<string>(type: text, nullable: false),
                status = t.Column<string>(type: Str(30), nullable: false),
                progress = t.Column<int>(type: integer, nullable: false),
                retention_deadline = t.Column<DateTimeOffset>(type: instant, nullable: false),
                retention_end = t.Column<string>(type: Str(20), nullable: false),
                created_at = t.Column<DateTimeOffset>(type: instant, nullable: false),
                updated_at = t.Column<DateTimeOffset>(type: instant, nullable: false),
                approved_at = t.Column<DateTimeOffset>(type: instant, nullable: true),
                produced_at = t.Column<DateTimeOffset>(type: instant, nullable: true),
                expired_at = t.Column<DateTimeOffset>(type: instant, nullable: true),
                purged_at = t.Column<DateTimeOffset>(type: instant, nullable: true),
                purge_reason = t.Column<string>(type: Str(1000), nullable: true),
                early_purge = t.Column<bool>(type: boolean, nullable: false),
                attested_at = t.Column<DateTimeOffset>(type: instant, nullable: true),
                attested_by = t.Column<string>(type: Str(200), nullable: true),
                failure = t.Column<string>(type: Str(1000), nullable: true),
                claim_token = t.Column<string>(type: Str(32), nullable: true),
                claim_expires_at = t.Column<DateTimeOffset>(type: instant, nullable: true),
                attempts = t.Column<int>(type: integer, nullable: false),
                correlation_id = t.Column<string>(type: Str(100), nullable: false),
            },
            constraints: t => t.PrimaryKey("pk_extracts", x => x.id));
        mb.CreateIndex("ix_extracts_status_retention_deadline", "extracts", ["status", "retention_deadline"]);
        mb.CreateIndex("ix_extracts_requester_subject", "extracts", "requester_subject");
        mb.CreateIndex("ix_extracts_requester_organisation", "extracts", "requester_organisation");

        mb.CreateTable(
            name: "extract_approvals",
            columns: t => new
            {
                extract_id = t.Column<string>(type: Str(32), nullable: false),
                steward_subject = t.Column<string>(type: Str(200), nullable: false),
                organisation = t.Column<string>(type: Str(100), nullable: false),
                decision = t.Column<string>(type: Str(20), nullable: false),
                comment = t.Column<string>(type: text, nullable: true),
                decided_at = t.Column<DateTimeOffset>(type: instant, nullable: false),
            },
            constraints: t =>
            {
                // One vote per steward and extract: four-eyes needs two distinct stewards.
                t.PrimaryKey("pk_extract_approvals", x => new { x.extract_id, x.steward_subject });
                t.ForeignKey("fk_extract_approvals_extracts", x => x.extract_id, "extracts", "id");
            });

        mb.CreateTable(
            name: "extract_files",
            columns: t => new
            {
                extract_id = t.Column<string>(type: Str(32), nullable: false),
                format = t.Column<string>(type: Str(10), nullable: false),
                table_index = t.Column<int>(type: integer, nullable: false),
                content = t.Column<byte[]>(type: bytes, nullable: false),
                sha256 = t.Column<string>(type: Str(64), nullable: false),
                size = t.Column<long>(type: bigint, nullable: false),
                created_at = t.Column<DateTimeOffset>(type: instant, nullable: false),
            },
            constraints: t =>
            {
                t.PrimaryKey("pk_extract_files", x => new { x.extract_id, x.format, x.table_index });
                t.ForeignKey("fk_extract_files_extracts", x => x.extract_id, "extracts", "id");
            });
    }
}
