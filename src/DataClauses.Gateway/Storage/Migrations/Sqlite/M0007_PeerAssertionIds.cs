using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations.Sqlite;

/// <summary>The accepted node assertion ids, shared by a node's replicas (Sqlite).</summary>
[DbContext(typeof(SqliteGatewayDbContext))]
[Migration("20261207060000_PeerAssertionIds")]
internal sealed class M0007PeerAssertionIds : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder) => PeerAssertionIdsSchema.Up(migrationBuilder, pg: false);
}
