using System.Security.Claims;
using DataClauses.Audit;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Hosting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace DataClauses.Gateway.Identity;

/// <summary>
/// Trusted external issuers (Keycloak, ProConnect…): their keys come from IdentityModel's
/// <see cref="ConfigurationManager{T}"/> (cached; refreshed in the background; a token with an unknown key id asks for a
/// refresh at most once per <see cref="ExternalIssuerOptions.RefreshInterval"/>, never one fetch per request), over an
/// <see cref="IHttpClientFactory"/> client with a timeout; and each issuer speaks only for its configured organisations.
/// </summary>
internal static class ExternalIssuers
{
    /// <summary>The name of the HTTP client an issuer's metadata is fetched with.</summary>
    public static string HttpClientName(ExternalIssuerOptions external) => "external-issuer-" + external.Name;

    public static void Add(IServiceCollection services, Microsoft.AspNetCore.Authentication.AuthenticationBuilder builder, IdentityOptions identity)
    {
        foreach (var external in identity.ExternalIssuers)
        {
            services.AddHttpClient(HttpClientName(external), c => c.Timeout = external.MetadataTimeout);
            builder.AddJwtBearer(external.Name, o =>
            {
                o.MapInboundClaims = false;
                o.RequireHttpsMetadata = external.RequireHttpsMetadata;
                o.TokenValidationParameters = AuthenticationSetup.Parameters(external.Issuer, external.Audience, identity.ClockSkew);
                var events = AuthenticationSetup.Events();
                events.OnTokenValidated = context => OnTokenValidatedAsync(context, external);
                events.OnAuthenticationFailed = context =>
                {
                    // The metadata could not be fetched (issuer down, timeout, bad document): the token cannot be
                    // checked, so the caller is unauthenticated (401), never a 500.
                    context.Fail(context.Exception);
                    return Task.CompletedTask;
                };
                o.Events = events;
            });
            services.AddOptions<JwtBearerOptions>(external.Name)
                .Configure<IHttpClientFactory>((o, factory) => o.ConfigurationManager = ConfigurationManagerFor(external, factory.CreateClient(HttpClientName(external))));
        }
    }

    /// <summary>The issuer's metadata: its discovery document, or a configuration built from its bare JWKS.</summary>
    internal static ConfigurationManager<OpenIdConnectConfiguration> ConfigurationManagerFor(ExternalIssuerOptions external, HttpClient http)
    {
        var documents = new HttpDocumentRetriever(http) { RequireHttps = external.RequireHttpsMetadata };
        var manager = external.JwksUrl is { Length: > 0 } jwks
            ? new ConfigurationManager<OpenIdConnectConfiguration>(jwks, new JwksRetriever(external.Issuer), documents)
            : new ConfigurationManager<OpenIdConnectConfiguration>(
                external.Authority!.TrimEnd('/') + "/.well-known/openid-configuration",
                new OpenIdConnectConfigurationRetriever(),
                documents);
        manager.RefreshInterval = external.RefreshInterval;
        manager.AutomaticRefreshInterval = external.AutomaticRefreshInterval;
        return manager;
    }

    private static async Task OnTokenValidatedAsync(TokenValidatedContext context, ExternalIssuerOptions external)
    {
        var principal = context.Principal!;
        MapClaims(principal, external);
        var organisation = principal.FindFirst(ClaimNames.Organisation)?.Value;
        if (organisation is not null && external.Organisations.Contains(organisation, StringComparer.Ordinal))
        {
            return;
        }

        context.Fail($"The issuer '{external.Name}' may not speak for the organisation '{organisation ?? "(none)"}'.");
        var http = context.HttpContext;
        var audit = http.RequestServices.GetRequiredService<AuditService>();
        var path = http.Request.Path.Value ?? string.Empty;

        // The principal is refused: the event names who the token claimed to be, not an authenticated caller.
        var claimed = principal.FindFirst(ClaimNames.Subject)?.Value ?? "unknown";
        await audit.RecordAsync(audit.Create(AuditActions.AccessDenied, "denied") with
        {
            Actor = new AuditActor("external:" + external.Name + ":" + Truncate(claimed), organisation is null ? null : Truncate(organisation), [], null, http.Connection.RemoteIpAddress?.ToString()),
            Effect = "deny",
            Reasons = [new AuditReason("issuer-not-allowed-for-organisation", null, organisation is null ? "(none)" : Truncate(organisation))],
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["issuer"] = external.Name,
                ["method"] = http.Request.Method,
                ["path"] = Truncate(path),
            },
        }, http.RequestAborted);
    }

    private static string Truncate(string value) => value.Length > 300 ? value[..300] : value;

    /// <summary>Copies the external issuer's organisation and roles claims into the gateway's claim names.</summary>
    private static void MapClaims(ClaimsPrincipal principal, ExternalIssuerOptions external)
    {
        if (principal.Identity is not ClaimsIdentity identity)
        {
            return;
        }

        // Read the issuer's values before removing anything: its claim names may be the gateway's own ("org", "roles").
        var organisation = principal.FindFirst(external.OrganisationClaim)?.Value;
        var roles = principal.FindAll(external.RolesClaim)
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Distinct(StringComparer.Ordinal)
            .ToList();

        foreach (var claim in identity.FindAll(c => c.Type is ClaimNames.Organisation or ClaimNames.Roles).ToList())
        {
            identity.RemoveClaim(claim);
        }

        if (organisation is { Length: > 0 })
        {
            identity.AddClaim(new Claim(ClaimNames.Organisation, organisation));
        }

        foreach (var role in roles)
        {
            identity.AddClaim(new Claim(ClaimNames.Roles, role));
        }
    }

    /// <summary>
    /// For an issuer that publishes only a JWKS (no discovery document): a configuration holding its keys and its
    /// configured issuer, so that the same <see cref="ConfigurationManager{T}"/> caches and refreshes it.
    /// </summary>
    internal sealed class JwksRetriever(string issuer) : IConfigurationRetriever<OpenIdConnectConfiguration>
    {
        public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel)
        {
            ArgumentNullException.ThrowIfNull(retriever);
            var json = await retriever.GetDocumentAsync(address, cancel);
            var keys = new JsonWebKeySet(json);
            var configuration = new OpenIdConnectConfiguration { Issuer = issuer, JwksUri = address, JsonWebKeySet = keys };
            foreach (var key in keys.GetSigningKeys())
            {
                configuration.SigningKeys.Add(key);
            }

            return configuration;
        }
    }
}
