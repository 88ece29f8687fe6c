using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations.Sqlite;

/// <summary>The Data Protection key ring in the EF Core Data Protection table, former keys copied (Sqlite).</summary>
[DbContext(typeof(SqliteGatewayDbContext))]
[Migration("20261206210000_DataProtectionKeys")]
internal sealed class M0006DataProtectionKeys : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder) => DataProtectionKeysSchema.Up(migrationBuilder, pg: false);
}
