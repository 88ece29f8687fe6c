using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations.PostgreSql;

/// <summary>Initial schema (PostgreSQL).</summary>
[DbContext(typeof(PostgresGatewayDbContext))]
[Migration("20261121000001_Initial")]
internal sealed class M0001Initial : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder) => InitialSchema.Up(migrationBuilder, pg: true);
}
