using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations;

/// <summary>
/// The Data Protection key ring moves to the table of Microsoft.AspNetCore.DataProtection.EntityFrameworkCore
/// (<c>DataProtectionKey</c>: id, friendly name, XML). The keys written by the former hand-written repository are copied
/// as they are, in their order, so that everything they protected (signing keys' private parts, extract files) still
/// decrypts after the upgrade; then the former table is dropped.
/// </summary>
internal static class DataProtectionKeysSchema
{
    public const string Table = "data_protection_key_ring";

    private const string FormerTable = "data_protection_keys";

    public static void Up(MigrationBuilder mb, bool pg)
    {
        var integer = pg ? "integer" : "INTEGER";
        mb.CreateTable(
            name: Table,
            columns: t => new
            {
                id = pg
                    ? t.Column<int>(type: integer, nullable: false).Annotation("Npgsql:ValueGenerationStrategy", Npgsql.EntityFrameworkCore.PostgreSQL.Metadata.NpgsqlValueGenerationStrategy.IdentityByDefaultColumn)
                    : t.Column<int>(type: integer, nullable: false).Annotation("Sqlite:Autoincrement", true),
                friendly_name = t.Column<string>(type: pg ? "text" : "TEXT", nullable: true),
                xml = t.Column<string>(type: pg ? "text" : "TEXT", nullable: true),
            },
            constraints: t => t.PrimaryKey("pk_" + Table, x => x.id));
        mb.Sql($"INSERT INTO {Table} (friendly_name, xml) SELECT friendly_name, xml FROM {FormerTable} ORDER BY id;");
        mb.DropTable(FormerTable);
    }
}
