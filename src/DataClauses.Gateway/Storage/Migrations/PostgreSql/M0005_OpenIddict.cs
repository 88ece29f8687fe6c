using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations.PostgreSql;

/// <summary>OpenIddict's stores; clients' secrets move onto their applications (PostgreSql).</summary>
[DbContext(typeof(PostgresGatewayDbContext))]
[Migration("20261206000005_OpenIddict")]
internal sealed class M0005OpenIddict : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder) => OpenIddictSchema.Up(migrationBuilder, pg: true);
}
