using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations.PostgreSql;

/// <summary>The Data Protection key ring in the EF Core Data Protection table, former keys copied (PostgreSql).</summary>
[DbContext(typeof(PostgresGatewayDbContext))]
[Migration("20261206210000_DataProtectionKeys")]
internal sealed class M0006DataProtectionKeys : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder) => DataProtectionKeysSchema.Up(migrationBuilder, pg: true);
}
