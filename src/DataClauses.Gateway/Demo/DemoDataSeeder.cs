namespace DataClauses.Gateway.Demo;

/// <summary>Publishes the synthetic demo datasets through the same path partners use (filled in with the catalogue).</summary>
internal sealed class DemoDataSeeder
{
    public Task SeedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
