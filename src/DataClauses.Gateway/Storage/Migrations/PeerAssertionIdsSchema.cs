using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations;

/// <summary>
/// The node assertion ids a PostgreSQL node has accepted, until they expire: in the database rather than in a
/// process, so that a replay sent to another replica of the same node is refused too (the primary key makes the second
/// insert a no-op). UNLOGGED: no WAL, so recording an id costs no durable commit on the forwarding path; a crash empties
/// the table, which reopens at most the 60 s an assertion lives. A SQLite node is one process: it keeps the ids in
/// memory, and its migration is empty so that both providers keep the same list of migrations.
/// </summary>
internal static class PeerAssertionIdsSchema
{
    public const string Table = "peer_assertion_ids";

    public static void Up(MigrationBuilder mb, bool pg)
    {
        if (!pg)
        {
            return;
        }

        mb.Sql($"""
            CREATE UNLOGGED TABLE {Table} (
                id character varying(100) NOT NULL CONSTRAINT pk_{Table} PRIMARY KEY,
                expires_unix bigint NOT NULL);
            CREATE INDEX ix_{Table}_expires_unix ON {Table} (expires_unix);
            """);
    }
}
