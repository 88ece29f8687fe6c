using Microsoft.EntityFrameworkCore.Migrations;

namespace DataClauses.Gateway.FunctionalTests.Infrastructure;

/// <summary>The gateway's migrations per provider (both providers have the same list, by design).</summary>
internal static class Migrations
{
    /// <summary>How many migrations the SQLite context has (the PostgreSQL one mirrors it).</summary>
    public static int Count { get; } = typeof(GatewayApp).Assembly.GetTypes()
        .Count(t => typeof(Migration).IsAssignableFrom(t) && t.Namespace!.EndsWith(".Sqlite", StringComparison.Ordinal));
}
