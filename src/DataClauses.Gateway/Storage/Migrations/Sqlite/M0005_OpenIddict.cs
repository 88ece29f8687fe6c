using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations.Sqlite;

/// <summary>OpenIddict's stores; clients' secrets move onto their applications (Sqlite).</summary>
[DbContext(typeof(SqliteGatewayDbContext))]
[Migration("20261206000005_OpenIddict")]
internal sealed class M0005OpenIddict : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder) => OpenIddictSchema.Up(migrationBuilder, pg: false);
}
