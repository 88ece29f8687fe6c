namespace DataClauses.Gateway.Catalog;

/// <summary>The catalogue and publishing feature: dataset declarations, CSV uploads into typed tables, the catalogue.</summary>
internal static class CatalogServiceCollectionExtensions
{
    /// <summary>Registers the publishing service (scoped: it works in the request's database context).</summary>
    public static IServiceCollection AddCatalog(this IServiceCollection services) => services.AddScoped<DatasetPublisher>();

    /// <summary>Maps the publishing API (the catalogue read API is mapped by <see cref="CatalogApi"/>).</summary>
    public static IEndpointRouteBuilder MapCatalog(this IEndpointRouteBuilder app) => app.MapPublishingApi();
}
