using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations;

/// <summary>
/// The protected cubes table (see docs/queries.md), written once for both providers like <see cref="InitialSchema"/>.
/// Rows are immutable: a cube is inserted once, read many times, and never updated.
/// </summary>
internal static class ProtectedCubesSchema
{
    public static void Up(MigrationBuilder mb, bool pg)
    {
        var text = pg ? "text" : "TEXT";
        var instant = pg ? "timestamp with time zone" : "INTEGER";
        var integer = pg ? "integer" : "INTEGER";
        var bytes = pg ? "bytea" : "BLOB";
        string Str(int length) => pg ? $"character varying({length})" : "TEXT";

        mb.CreateTable(
            name: "protected_cubes",
            columns: t => new
            {
                dataset_id = t.Column<string>(type: Str(100), nullable: false),
                version = t.Column<string>(type: Str(64), nullable: false),
                contract_id = t.Column<string>(type: Str(100), nullable: false),
                clause_id = t.Column<string>(type: Str(100), nullable: false),
                clause_amendment = t.Column<int>(type: integer, nullable: false),
                fingerprint = t.Column<string>(type: Str(64), nullable: false),
                definition = t.Column<string>(type: text, nullable: false),
                built_at = t.Column<DateTimeOffset>(type: instant, nullable: false),
                cell_count = t.Column<int>(type: integer, nullable: false),
                primary_count = t.Column<int>(type: integer, nullable: false),
                secondary_count = t.Column<int>(type: integer, nullable: false),
                payload = t.Column<byte[]>(type: bytes, nullable: false),
            },
            constraints: t => t.PrimaryKey(
                "pk_protected_cubes",
                x => new { x.dataset_id, x.version, x.contract_id, x.clause_id, x.clause_amendment, x.fingerprint }));
    }
}
