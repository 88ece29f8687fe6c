using DataClauses.Gateway.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace DataClauses.Gateway.Federation;

/// <summary>Registers the federation: node directory, assertions, peer keys, the forwarder and its resilient peer connections.</summary>
internal static class FederationServiceCollectionExtensions
{
    public static IServiceCollection AddFederation(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>()?.Federation ?? new FederationOptions();
        services.AddSingleton<NodeDirectory>();
        services.AddSingleton<PeerAssertions>();
        services.AddSingleton<PeerKeys>();
        services.AddScoped<PeerForwarder>();
        services.AddSingleton<PeerQueries>();
        services.AddSingleton<PeerExtracts>();
        services.AddSingleton<PeerCatalogs>();
        services.AddHostedService<PeerCatalogRefresh>();

        // A catalogue read is idempotent: two quick retries, then the entries stay as last fetched (stale).
        services.AddHttpClient(PeerCatalogs.HttpClientName)
            .AddResilienceHandler("catalog", builder => builder
                .AddRetry(new HttpRetryStrategyOptions { MaxRetryAttempts = 2, Delay = TimeSpan.FromMilliseconds(200) })
                .AddTimeout(TimeSpan.FromSeconds(10)));
        services.AddHttpForwarder();
        services.AddHttpClient(PeerKeys.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10));

        // Forwarded requests: no redirects, cookies or proxies, no decompression (bytes pass through as they are);
        // one circuit breaker per peer (by authority), no retry (a query or an extract request is not idempotent).
        // The timeout is YARP's (ActivityTimeout, a 504) for a forwarded request, the client's for the indicators'
        // and extracts' own calls: a pipeline timeout too would race YARP's and turn a 504 into a 502.
        services.AddHttpClient(PeerForwarder.HttpClientName, c => c.Timeout = options.PeerTimeout)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                UseProxy = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = System.Net.DecompressionMethods.None,
                UseCookies = false,
                ConnectTimeout = TimeSpan.FromSeconds(5),
                EnableMultipleHttp2Connections = true,
            })
            .AddResilienceHandler("peer", builder => builder
                .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                {
                    FailureRatio = 0.5,
                    MinimumThroughput = 5,
                    SamplingDuration = TimeSpan.FromSeconds(30),
                    BreakDuration = TimeSpan.FromSeconds(15),
                }))
            .SelectPipelineByAuthority();
        return services;
    }
}
