using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations.PostgreSql;

/// <summary>Signed audit checkpoints and the anchored retention purge (PostgreSql).</summary>
[DbContext(typeof(PostgresGatewayDbContext))]
[Migration("20261122000004_AuditCheckpoints")]
internal sealed class M0004AuditCheckpoints : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder) => AuditCheckpointsSchema.Up(migrationBuilder, pg: true);
}
