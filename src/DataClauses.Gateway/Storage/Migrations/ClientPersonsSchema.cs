using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.Storage.Migrations;

/// <summary>
/// The person behind each client, for four-eyes approval: who it acts for, which person created it through the admin
/// API, and which other person confirmed it (docs/extracts.md, "Two people").
/// </summary>
internal static class ClientPersonsSchema
{
    public static void Up(MigrationBuilder mb, bool pg)
    {
        var text = pg ? "character varying(200)" : "TEXT";
        mb.AddColumn<string>(name: "person", table: "clients", type: text, nullable: true);
        mb.AddColumn<string>(name: "created_by", table: "clients", type: text, nullable: true);
        mb.AddColumn<string>(name: "confirmed_by", table: "clients", type: text, nullable: true);
    }
}
