using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations.PostgreSql;

/// <summary>The audit purge function a least-privilege runtime role may call (PostgreSql).</summary>
[DbContext(typeof(PostgresGatewayDbContext))]
[Migration("20261206170000_RuntimeRole")]
internal sealed class M0005RuntimeRole : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder) => RuntimeRoleSchema.Up(migrationBuilder, pg: true);
}
