namespace DataClauses.Gateway.FunctionalTests.Infrastructure;

/// <summary>The storage a test host runs on; every functional test class runs on both.</summary>
public enum StorageProvider
{
    Sqlite,
    PostgreSql,
}
