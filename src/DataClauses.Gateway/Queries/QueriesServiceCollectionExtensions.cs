namespace DataClauses.Gateway.Queries;

/// <summary>The protected-queries feature: decisions, protected cubes, slices, indicators, dry runs.</summary>
internal static class QueriesServiceCollectionExtensions
{
    public static IServiceCollection AddQueries(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapQueries(this IEndpointRouteBuilder app) => app;
}
