using Microsoft.AspNetCore.Authentication;
using DataClauses.Gateway.Hosting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataClauses.Gateway.Identity;

/// <summary>
/// JWT bearer validation, local and cached (no call to the authorization server per request): the built-in issuer's
/// tokens (OpenIddict, see <see cref="AuthorizationServer"/>) with the node's keys, and configured external issuers
/// (Keycloak, ProConnect…) with their own keys and claim mapping. A policy scheme picks the handler by <c>iss</c>.
/// </summary>
internal static class AuthenticationSetup
{
    public const string Scheme = "dataclauses";
    public const string BuiltInScheme = "builtin";

    public static IServiceCollection AddGatewayAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
        var identity = options.Identity;
        var builder = services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "DataClauses bearer", o => o.ForwardDefaultSelector = context => SelectScheme(context, identity));

        builder.AddJwtBearer(BuiltInScheme, o =>
        {
            o.MapInboundClaims = false;
            o.RequireHttpsMetadata = false;
            o.TokenValidationParameters = Parameters(string.IsNullOrWhiteSpace(identity.Issuer) ? null : identity.Issuer, identity.Audience, identity.ClockSkew);
            o.TokenValidationParameters.ValidTypes = ["at+jwt"];
            o.Events = Events();
        });
        services.AddSingleton<IPostConfigureOptions<JwtBearerOptions>, BuiltInKeysPostConfigure>();

        builder.AddScheme<AuthenticationSchemeOptions, Federation.PeerAuthentication>(Federation.PeerAuthentication.SchemeName, null);
        ExternalIssuers.Add(services, builder, identity);
        SignInProviders.Add(services, builder, identity);

        services.AddAuthorization();
        return services;
    }

    internal static TokenValidationParameters Parameters(string? issuer, string audience, TimeSpan skew) => new()
    {
        ValidIssuers = issuer is null ? null : IssuerForms(issuer),
        ValidAudience = audience,
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateLifetime = true,
        ValidateIssuerSigningKey = true,
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ClockSkew = skew,
        ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.EcdsaSha384],
        NameClaimType = ClaimNames.Subject,
        RoleClaimType = ClaimNames.Roles,
    };

    /// <summary>
    /// An issuer as configured and as OpenIddict writes it (<c>Uri.AbsoluteUri</c>: a bare origin gains a trailing slash);
    /// both are the same issuer (RFC 3986 §6.2.3).
    /// </summary>
    internal static string[] IssuerForms(string issuer)
    {
        var uri = new Uri(issuer, UriKind.Absolute);
        return [.. new[] { issuer, uri.AbsoluteUri, uri.AbsoluteUri.TrimEnd('/') }.Distinct(StringComparer.Ordinal)];
    }

    internal static JwtBearerEvents Events() => new()
    {
        // A 401 is written as a problem; the WWW-Authenticate header says why (RFC 6750).
        OnChallenge = async context =>
        {
            context.HandleResponse();
            var http = context.HttpContext;
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            http.Response.Headers.WWWAuthenticate = context.AuthenticateFailure is null
                ? "Bearer"
                : "Bearer error=\"invalid_token\"";
            var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails =
                {
                    Status = 401,
                    Type = Problems.TypeBase + "unauthorized",
                    Title = "Authentification requise / Authentication required",
                    Detail = context.AuthenticateFailure is null
                        ? "Send a bearer access token (POST /connect/token)."
                        : "The access token is not valid (signature, issuer, audience, type or lifetime).",
                },
            });
        },
        OnForbidden = async context =>
        {
            var http = context.HttpContext;
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = { Status = 403, Type = Problems.TypeBase + "forbidden", Title = "Accès refusé / Forbidden", Detail = "Your roles do not allow this." },
            });
        },
    };

    private static string SelectScheme(HttpContext context, IdentityOptions identity)
    {
        if (Federation.PeerAuthentication.Carries(context.Request))
        {
            // A peer node's assertion; refused unless federation is on (the peer scheme finds no trusted peer otherwise).
            return Federation.PeerAuthentication.SchemeName;
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (identity.ExternalIssuers.Count > 0 && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = header["Bearer ".Length..].Trim();
            var handler = new JsonWebTokenHandler();
            if (handler.CanReadToken(token))
            {
                try
                {
                    var issuer = handler.ReadJsonWebToken(token).Issuer;
                    var external = identity.ExternalIssuers.FirstOrDefault(e => string.Equals(e.Issuer, issuer, StringComparison.Ordinal));
                    if (external is not null)
                    {
                        return external.Name;
                    }
                }
                catch (ArgumentException)
                {
                    // Not a readable JWT: the built-in handler rejects it with a proper challenge.
                }
            }
        }

        return BuiltInScheme;
    }

    /// <summary>
    /// IdentityModel's default lifetime check reads the wall clock; this one reads the injected clock, with the same
    /// rules: an expiry is required, the token is refused before nbf and after exp, give or take the clock skew.
    /// </summary>
    internal static bool ValidateLifetime(DateTime? notBefore, DateTime? expires, TokenValidationParameters parameters, TimeProvider clock)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (expires is null)
        {
            return parameters.RequireExpirationTime
                ? throw new SecurityTokenNoExpirationException("The token has no expiry.")
                : notBefore is null || notBefore.Value.ToUniversalTime() <= now.Add(parameters.ClockSkew);
        }

        if (notBefore is not null && notBefore.Value > expires.Value)
        {
            throw new SecurityTokenInvalidLifetimeException("The token's nbf is after its exp.") { NotBefore = notBefore, Expires = expires };
        }

        if (notBefore is not null && notBefore.Value.ToUniversalTime() > now.Add(parameters.ClockSkew))
        {
            throw new SecurityTokenNotYetValidException("The token is not valid yet.") { NotBefore = notBefore.Value };
        }

        if (expires.Value.ToUniversalTime() < now.Subtract(parameters.ClockSkew))
        {
            throw new SecurityTokenExpiredException("The token has expired.") { Expires = expires.Value };
        }

        return true;
    }

    /// <summary>
    /// Gives the built-in handler the node's keys (resolved per token by kid, refreshed on rotation), and every handler
    /// the injected clock, so that lifetimes are checked against the same time as the one tokens are issued with.
    /// </summary>
    private sealed class BuiltInKeysPostConfigure(SigningKeys keys, TimeProvider clock, PublicOrigin origin) : IPostConfigureOptions<JwtBearerOptions>
    {
        public void PostConfigure(string? name, JwtBearerOptions options)
        {
            options.TimeProvider = clock;
            options.TokenValidationParameters.LifetimeValidator = (notBefore, expires, _, parameters) => ValidateLifetime(notBefore, expires, parameters, clock);
            if (name == BuiltInScheme)
            {
                options.TokenValidationParameters.IssuerSigningKeyResolver = (_, _, kid, _) => keys.ResolveForValidation(kid);
                if (options.TokenValidationParameters.ValidIssuers is null)
                {
                    // The issuer is the public origin, which may be the listening address, known only once the server has
                    // started; never the Host header of the request.
                    options.TokenValidationParameters.IssuerValidator = (issuer, _, _) => IssuerForms(origin.Issuer).Contains(issuer, StringComparer.Ordinal)
                        ? issuer
                        : throw new SecurityTokenInvalidIssuerException("The token's issuer is not this node.") { InvalidIssuer = issuer };
                }

                options.TokenHandlers.Clear();
                options.TokenHandlers.Add(new ValidatedTokenCache(clock, kid => keys.ResolveForValidation(kid).Any()));
            }
        }
    }
}
