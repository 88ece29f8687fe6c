using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations.Sqlite;

/// <summary>Protected cubes (SQLite).</summary>
[DbContext(typeof(SqliteGatewayDbContext))]
[Migration("20261122000002_ProtectedCubes")]
internal sealed class M0002ProtectedCubes : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder) => ProtectedCubesSchema.Up(migrationBuilder, pg: false);
}
