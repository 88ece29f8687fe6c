using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations.PostgreSql;

/// <summary>Protected cubes (PostgreSQL).</summary>
[DbContext(typeof(PostgresGatewayDbContext))]
[Migration("20261122000002_ProtectedCubes")]
internal sealed class M0002ProtectedCubes : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder) => ProtectedCubesSchema.Up(migrationBuilder, pg: true);
}
