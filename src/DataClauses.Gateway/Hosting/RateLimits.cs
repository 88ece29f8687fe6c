using System.Net.Http.Headers;
using System.Text;
using System.Threading.RateLimiting;
using DataClauses.Gateway.Identity;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;

namespace DataClauses.Gateway.Hosting;

/// <summary>Rate limits per client: on the token endpoint (fixed window) and on the API (token bucket).</summary>
internal static class RateLimits
{
    public const string Api = "api";

    public static IServiceCollection AddGatewayRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var limits = configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>()?.Limits ?? new LimitsOptions();
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = WriteRejectionAsync;
            o.AddPolicy(Api, http => RateLimitPartition.GetTokenBucketLimiter(
                "api:" + (http.User.FindFirst(ClaimNames.Subject)?.Value ?? http.Connection.RemoteIpAddress?.ToString() ?? "unknown"),
                _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = limits.ApiRequestsPerSecond * 2,
                    TokensPerPeriod = limits.ApiRequestsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
        });

        var perSource = limits.TokenRequestsPerMinutePerAddress ?? checked(limits.TokenRequestsPerMinute * 5);

        // The token endpoint's limit runs before authentication, where OpenIddict checks client secrets and assertions.
        services.AddSingleton(new TokenRateLimit(new RateLimiterOptions
        {
            RejectionStatusCode = StatusCodes.Status429TooManyRequests,
            OnRejected = WriteRejectionAsync,
            GlobalLimiter = PartitionedRateLimiter.CreateChained(
                // Per source whatever the client ids (first: every request from an address counts there), so that one address cannot try many clients in turn.
                PartitionedRateLimiter.Create<HttpContext, string>(http => RateLimitPartition.GetFixedWindowLimiter(
                    "token-source:" + Source(http),
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = perSource, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })),
                // Then per source and client: guesses from one address cannot lock the client out of another address.
                PartitionedRateLimiter.Create<HttpContext, string>(http => RateLimitPartition.GetFixedWindowLimiter(
                    "token:" + Source(http) + "|" + TokenClientKey(http),
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = limits.TokenRequestsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }))),
        }));
        return services;
    }

    private static async ValueTask WriteRejectionAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
        {
            http.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = 429,
                Type = Problems.TypeBase + "too-many-requests",
                Title = "Trop de requêtes / Too many requests",
                Detail = "Slow down and retry after the delay given in Retry-After.",
            },
        });
    }

    /// <summary>
    /// The token endpoint's rate limit, preceded by reading the form: client_secret_post names the client in the body, and
    /// a partition key is computed synchronously. The form feature keeps the parsed form, so OpenIddict reads it again for
    /// free. It must run before authentication: OpenIddict authenticates the client there, so a limit placed after it
    /// would let secret guesses through unlimited.
    /// </summary>
    public static IApplicationBuilder UseTokenRateLimiter(this IApplicationBuilder app)
    {
        var limit = app.ApplicationServices.GetRequiredService<TokenRateLimit>();
        return app.UseWhen(
            context => HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals(AuthorizationServer.TokenPath, StringComparison.OrdinalIgnoreCase),
            branch =>
            {
                branch.Use(async (context, next) =>
                {
                    if (context.Request.HasFormContentType)
                    {
                        try
                        {
                            await context.Request.ReadFormAsync(context.RequestAborted);
                        }
                        catch (InvalidDataException)
                        {
                            // A malformed form: limited by address; OpenIddict answers invalid_request.
                        }
                    }

                    await next(context);
                });
                branch.UseRateLimiter(limit.Options);
            });
    }

    /// <summary>The token endpoint's limiter options (a separate middleware instance, placed before authentication).</summary>
    private sealed record TokenRateLimit(RateLimiterOptions Options);

    /// <summary>The API's rate limits (after authentication: partitions are per subject).</summary>
    public static IApplicationBuilder UseGatewayRateLimiter(this IApplicationBuilder app)
    {
        return app.UseRateLimiter();
    }

    /// <summary>The caller's address (the client's, behind a configured proxy: forwarded headers run first).</summary>
    private static string Source(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    /// <summary>The client id (Basic header, else the form's client_id read beforehand), else the address.</summary>
    private static string TokenClientKey(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (AuthenticationHeaderValue.TryParse(header, out var value) && string.Equals(value.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) && value.Parameter is not null)
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(value.Parameter));
                var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && colon <= 100)
                {
                    return "client:" + decoded[..colon];
                }
            }
            catch (FormatException)
            {
                // Falls back to the address; the endpoint rejects the header.
            }
        }

        if (http.Features.Get<IFormFeature>()?.Form?["client_id"] is { Count: 1 } postId && postId[0] is { Length: > 0 and <= 100 } id)
        {
            return "client:" + id;
        }

        return "ip:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
    }
}
