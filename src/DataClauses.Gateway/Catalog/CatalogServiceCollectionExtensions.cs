using DataClauses.Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Catalog;

/// <summary>The catalogue and publishing feature: dataset declarations, CSV uploads into typed tables, the catalogue.</summary>
internal static class CatalogServiceCollectionExtensions
{
    /// <summary>
    /// Registers schema declaration and version publishing (scoped: they work in the request's database context),
    /// with the importer of the configured database, chosen as Storage chooses the database context.
    /// </summary>
    public static IServiceCollection AddCatalog(this IServiceCollection services) => services
        .AddScoped<CatalogService>()
        .AddScoped<PublishingRecords>()
        .AddScoped<SchemaDeclarations>()
        .AddScoped<DatasetPublisher>()
        .AddScoped<VersionCommitter>()
        .AddScoped<PostgresDatasetImporter>()
        .AddScoped<SqliteDatasetImporter>()
        .AddScoped<IDatasetImporter>(sp => sp.GetRequiredService<IOptions<GatewayOptions>>().Value.Storage.Provider == StorageProviders.PostgreSql
            ? sp.GetRequiredService<PostgresDatasetImporter>()
            : sp.GetRequiredService<SqliteDatasetImporter>());

    /// <summary>Maps the publishing API (the catalogue read API is mapped by <see cref="CatalogApi"/>).</summary>
    public static IEndpointRouteBuilder MapCatalog(this IEndpointRouteBuilder app) => app.MapPublishingApi();
}
