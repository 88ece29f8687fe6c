using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations.PostgreSql;

/// <summary>Extracts, their approvals and their encrypted files (PostgreSQL).</summary>
[DbContext(typeof(PostgresGatewayDbContext))]
[Migration("20261122000003_Extracts")]
internal sealed class M0003Extracts : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder) => ExtractsSchema.Up(migrationBuilder, pg: true);
}
