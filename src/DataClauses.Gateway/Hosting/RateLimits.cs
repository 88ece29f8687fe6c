using System.Net.Http.Headers;
using System.Text;
using System.Threading.RateLimiting;
using DataClauses.Gateway.Identity;
using Microsoft.AspNetCore.Http.Features;

namespace DataClauses.Gateway.Hosting;

/// <summary>
/// Rate limits: on the token endpoint per source address and client id, and per source address (fixed windows); on the
/// API per caller (token bucket).
/// </summary>
internal static class RateLimits
{
    public const string Api = "api";

    public static IServiceCollection AddGatewayRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var limits = configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>()?.Limits ?? new LimitsOptions();
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (context, cancellationToken) =>
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
            };
            // Per source and client: guesses from one address cannot lock the client out of another address.
            o.AddPolicy(TokenEndpoint.RateLimitPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                "token:" + Source(http) + "|" + TokenClientKey(http),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = limits.TokenRequestsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));

            // And per source whatever the client ids, so that one address cannot try many clients in turn.
            var perSource = limits.TokenRequestsPerMinutePerAddress ?? checked(limits.TokenRequestsPerMinute * 5);
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http => IsTokenRequest(http)
                ? RateLimitPartition.GetFixedWindowLimiter(
                    "token-source:" + Source(http),
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = perSource, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })
                : RateLimitPartition.GetNoLimiter(string.Empty));
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
        return services;
    }

    /// <summary>
    /// The rate limiter, preceded on the token endpoint by reading the form: client_secret_post names the client in the
    /// body, and a partition key is computed synchronously. The form feature keeps the parsed form, so the endpoint
    /// reads it again for free.
    /// </summary>
    public static IApplicationBuilder UseGatewayRateLimiter(this IApplicationBuilder app)
    {
        app.Use(async (context, next) =>
        {
            if (IsTokenRequest(context) && context.Request.HasFormContentType)
            {
                try
                {
                    await context.Request.ReadFormAsync(context.RequestAborted);
                }
                catch (InvalidDataException)
                {
                    // A malformed form: limited by address; the endpoint answers invalid_request.
                }
            }

            await next(context);
        });
        return app.UseRateLimiter();
    }

    private static bool IsTokenRequest(HttpContext http) =>
        HttpMethods.IsPost(http.Request.Method) && http.Request.Path.Equals(TokenEndpoint.Path, StringComparison.OrdinalIgnoreCase);

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

        return "no-client";
    }
}
