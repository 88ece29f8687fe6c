using DataClauses.Gateway.Identity;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations;

/// <summary>
/// OpenIddict's stores (applications, authorizations, scopes, tokens; EF Core's default OpenIddict mapping), and every
/// existing client moved onto an application: its secret hash moves with it (same format, see
/// HashedSecretApplicationManager) and leaves the clients table, which keeps organisation, roles and the disabled flag.
/// </summary>
internal static class OpenIddictSchema
{
    public static void Up(MigrationBuilder mb, bool pg)
    {
        var instant = pg ? "timestamp with time zone" : "TEXT";
        var text = pg ? "text" : "TEXT";
        string Str(int length) => pg ? $"character varying({length})" : "TEXT";

        mb.CreateTable(
            name: "OpenIddictApplications",
            columns: t => new
            {
                Id = t.Column<string>(type: text, nullable: false),
                ApplicationType = t.Column<string>(type: Str(50), nullable: true),
                ClientId = t.Column<string>(type: Str(100), nullable: true),
                ClientSecret = t.Column<string>(type: text, nullable: true),
                ClientType = t.Column<string>(type: Str(50), nullable: true),
                ConcurrencyToken = t.Column<string>(type: Str(50), nullable: true),
                ConsentType = t.Column<string>(type: Str(50), nullable: true),
                DisplayName = t.Column<string>(type: text, nullable: true),
                DisplayNames = t.Column<string>(type: text, nullable: true),
                JsonWebKeySet = t.Column<string>(type: text, nullable: true),
                Permissions = t.Column<string>(type: text, nullable: true),
                PostLogoutRedirectUris = t.Column<string>(type: text, nullable: true),
                Properties = t.Column<string>(type: text, nullable: true),
                RedirectUris = t.Column<string>(type: text, nullable: true),
                Requirements = t.Column<string>(type: text, nullable: true),
                Settings = t.Column<string>(type: text, nullable: true),
            },
            constraints: t => t.PrimaryKey("PK_OpenIddictApplications", x => x.Id));
        mb.CreateIndex("IX_OpenIddictApplications_ClientId", "OpenIddictApplications", "ClientId", unique: true);

        mb.CreateTable(
            name: "OpenIddictScopes",
            columns: t => new
            {
                Id = t.Column<string>(type: text, nullable: false),
                ConcurrencyToken = t.Column<string>(type: Str(50), nullable: true),
                Description = t.Column<string>(type: text, nullable: true),
                Descriptions = t.Column<string>(type: text, nullable: true),
                DisplayName = t.Column<string>(type: text, nullable: true),
                DisplayNames = t.Column<string>(type: text, nullable: true),
                Name = t.Column<string>(type: Str(200), nullable: true),
                Properties = t.Column<string>(type: text, nullable: true),
                Resources = t.Column<string>(type: text, nullable: true),
            },
            constraints: t => t.PrimaryKey("PK_OpenIddictScopes", x => x.Id));
        mb.CreateIndex("IX_OpenIddictScopes_Name", "OpenIddictScopes", "Name", unique: true);

        mb.CreateTable(
            name: "OpenIddictAuthorizations",
            columns: t => new
            {
                Id = t.Column<string>(type: text, nullable: false),
                ApplicationId = t.Column<string>(type: text, nullable: true),
                ConcurrencyToken = t.Column<string>(type: Str(50), nullable: true),
                CreationDate = t.Column<DateTime>(type: instant, nullable: true),
                Properties = t.Column<string>(type: text, nullable: true),
                Scopes = t.Column<string>(type: text, nullable: true),
                Status = t.Column<string>(type: Str(50), nullable: true),
                Subject = t.Column<string>(type: Str(400), nullable: true),
                Type = t.Column<string>(type: Str(50), nullable: true),
            },
            constraints: t =>
            {
                t.PrimaryKey("PK_OpenIddictAuthorizations", x => x.Id);
                t.ForeignKey("FK_OpenIddictAuthorizations_OpenIddictApplications_ApplicationId", x => x.ApplicationId, "OpenIddictApplications", "Id");
            });
        mb.CreateIndex("IX_OpenIddictAuthorizations_ApplicationId_Status_Subject_Type", "OpenIddictAuthorizations", ["ApplicationId", "Status", "Subject", "Type"]);

        mb.CreateTable(
            name: "OpenIddictTokens",
            columns: t => new
            {
                Id = t.Column<string>(type: text, nullable: false),
                ApplicationId = t.Column<string>(type: text, nullable: true),
                AuthorizationId = t.Column<string>(type: text, nullable: true),
                ConcurrencyToken = t.Column<string>(type: Str(50), nullable: true),
                CreationDate = t.Column<DateTime>(type: instant, nullable: true),
                ExpirationDate = t.Column<DateTime>(type: instant, nullable: true),
                Payload = t.Column<string>(type: text, nullable: true),
                Properties = t.Column<string>(type: text, nullable: true),
                RedemptionDate = t.Column<DateTime>(type: instant, nullable: true),
                ReferenceId = t.Column<string>(type: Str(100), nullable: true),
                Status = t.Column<string>(type: Str(50), nullable: true),
                Subject = t.Column<string>(type: Str(400), nullable: true),
                Type = t.Column<string>(type: Str(150), nullable: true),
            },
            constraints: t =>
            {
                t.PrimaryKey("PK_OpenIddictTokens", x => x.Id);
                t.ForeignKey("FK_OpenIddictTokens_OpenIddictApplications_ApplicationId", x => x.ApplicationId, "OpenIddictApplications", "Id");
                t.ForeignKey("FK_OpenIddictTokens_OpenIddictAuthorizations_AuthorizationId", x => x.AuthorizationId, "OpenIddictAuthorizations", "Id");
            });
        mb.CreateIndex("IX_OpenIddictTokens_ApplicationId_Status_Subject_Type", "OpenIddictTokens", ["ApplicationId", "Status", "Subject", "Type"]);
        mb.CreateIndex("IX_OpenIddictTokens_AuthorizationId", "OpenIddictTokens", "AuthorizationId");
        mb.CreateIndex("IX_OpenIddictTokens_ReferenceId", "OpenIddictTokens", "ReferenceId", unique: true);

        // Existing clients become confidential applications with their current secret hash; the id is the client id.
        var permissions = ClientApplications.PermissionsJson().Replace("'", "''", StringComparison.Ordinal);
        mb.Sql($"""
            INSERT INTO "OpenIddictApplications" ("Id", "ClientId", "ClientSecret", "ClientType", "ConcurrencyToken", "DisplayName", "Permissions")
            SELECT client_id, client_id, secret_hash, 'confidential', 'migrated-0005', description, '{permissions}' FROM clients;
            """);

        // Plain SQL: EF's SQLite provider would rebuild the table from a model snapshot these hand-written migrations do not have.
        mb.Sql("ALTER TABLE clients DROP COLUMN secret_hash;");
    }
}
