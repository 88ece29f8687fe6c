using Npgsql;

namespace DataClauses.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// The PostgreSQL server the tests use: <c>DATACLAUSES_TEST_POSTGRES</c>, set by <c>./test.sh</c>, which starts a
/// throwaway cluster. Without it, or when it does not answer, PostgreSQL tests fail with instructions: they never skip.
/// </summary>
internal static class TestPostgres
{
    public const string Variable = "DATACLAUSES_TEST_POSTGRES";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _checked;

    /// <summary>The administrative connection string (database <c>postgres</c>), checked once to answer.</summary>
    public static async Task<string> GetConnectionStringAsync()
    {
        if (_checked is not null)
        {
            return _checked;
        }

        await Gate.WaitAsync();
        try
        {
            if (_checked is not null)
            {
                return _checked;
            }

            var value = Environment.GetEnvironmentVariable(Variable);
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new InvalidOperationException(Instructions($"{Variable} is not set."));
            }

            try
            {
                var builder = new NpgsqlConnectionStringBuilder(value) { Timeout = 5 };
                await using var connection = new NpgsqlConnection(builder.ConnectionString);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync();
            }
            catch (Exception ex) when (ex is NpgsqlException or ArgumentException or TimeoutException)
            {
                throw new InvalidOperationException(Instructions($"PostgreSQL at '{value}' does not answer: {ex.Message}"), ex);
            }

            _checked = value;
            return value;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static string Instructions(string problem) =>
        $"""
        {problem}
        The PostgreSQL variants of the gateway tests need a real PostgreSQL server (they never skip).
        Run every test with ./test.sh at the repository root: it installs PostgreSQL 15 if missing, starts a throwaway
        cluster on a loopback port, sets {Variable} and stops the cluster afterwards.
        Or start a server yourself and set, for example:
          export {Variable}="Host=127.0.0.1;Port=5432;Username=dataclauses;Database=postgres"
        (the user must be allowed to CREATE DATABASE; each test host creates and drops its own dc_test_* database).
        """;
}
