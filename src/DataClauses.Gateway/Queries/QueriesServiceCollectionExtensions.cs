namespace DataClauses.Gateway.Queries;

/// <summary>The protected-queries feature: decisions, protected cubes, slices, indicators, dry runs.</summary>
internal static class QueriesServiceCollectionExtensions
{
    /// <summary>The cube cache is one per process (single flight); the rest works in the request's scope.</summary>
    public static IServiceCollection AddQueries(this IServiceCollection services) => services
        .AddSingleton<CubeCache>()
        .AddScoped<CubeStore>()
        .AddScoped<QueryService>();

    /// <summary>Maps <c>/api/v1/queries</c>, <c>/api/v1/policy/decisions</c> and <c>/api/v1/indicators</c>.</summary>
    public static IEndpointRouteBuilder MapQueries(this IEndpointRouteBuilder app) => app
        .MapQueriesApi()
        .MapPolicyDecisionsApi()
        .MapIndicatorsApi();
}
