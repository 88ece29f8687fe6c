using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations.Sqlite;

/// <summary>Initial schema (SQLite).</summary>
[DbContext(typeof(SqliteGatewayDbContext))]
[Migration("20261121000001_Initial")]
internal sealed class M0001Initial : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder) => InitialSchema.Up(migrationBuilder, pg: false);
}
