using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations;

/// <summary>
/// The node assertion ids a node has accepted, until they expire: in the database rather than in a process, so that
/// a replay sent to another replica of the same node is refused too (the primary key makes the second insert a no-op).
/// </summary>
internal static class PeerAssertionIdsSchema
{
    public const string Table = "peer_assertion_ids";

    public static void Up(MigrationBuilder mb, bool pg)
    {
        mb.CreateTable(
            name: Table,
            columns: t => new
            {
                id = t.Column<string>(type: pg ? "character varying(100)" : "TEXT", nullable: false),
                expires_unix = t.Column<long>(type: pg ? "bigint" : "INTEGER", nullable: false),
            },
            constraints: t => t.PrimaryKey("pk_" + Table, x => x.id));
        mb.CreateIndex("ix_" + Table + "_expires_unix", Table, "expires_unix");
    }
}
