using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations.PostgreSql;

/// <summary>The person behind each client (PostgreSql).</summary>
[DbContext(typeof(PostgresGatewayDbContext))]
[Migration("20261206000005_ClientPersons")]
internal sealed class M0005ClientPersons : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder) => ClientPersonsSchema.Up(migrationBuilder, pg: true);
}
