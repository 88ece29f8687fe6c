namespace DataClauses.Gateway.Catalog;

/// <summary>The catalogue and publishing feature: dataset declarations, CSV uploads into typed tables, the catalogue.</summary>
internal static class CatalogServiceCollectionExtensions
{
    public static IServiceCollection AddCatalog(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapCatalog(this IEndpointRouteBuilder app) => app;
}
