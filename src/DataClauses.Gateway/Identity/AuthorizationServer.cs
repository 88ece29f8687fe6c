using System.Security.Claims;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using Microsoft.AspNetCore;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace DataClauses.Gateway.Identity;

/// <summary>
/// The node's OAuth 2.0 authorization server, on OpenIddict: client credentials (client secret or private_key_jwt),
/// authorization code with PKCE and refresh tokens for people (<see cref="PeopleAuthorization"/>), revocation, introspection, discovery and the JWKS. Applications and tokens live in OpenIddict's EF Core stores;
/// the gateway's own clients table keeps what OpenIddict does not know (organisation, roles, disabled flag). Tokens are
/// signed with the node's database-backed keys (<see cref="SigningKeys"/>), so every replica signs and publishes alike.
/// </summary>
internal static partial class AuthorizationServer
{
    public const string TokenPath = "/connect/token";
    public const string RevocationPath = "/connect/revoke";
    public const string IntrospectionPath = "/connect/introspect";
    public const string JwksPath = "/.well-known/jwks.json";
    public const string ConfigurationPath = "/.well-known/openid-configuration";

    /// <summary>The only scope: the gateway's API.</summary>
    public const string ApiScope = "api";

    /// <summary>Where the token endpoint leaves why it refused a client, for the audit of the response.</summary>
    internal const string RejectionReasonItem = "DataClauses.TokenRejectionReason";

    public static IServiceCollection AddGatewayAuthorizationServer(this IServiceCollection services, IConfiguration configuration)
    {
        var identity = (configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions()).Identity;
        services.AddSingleton<UseNodeSigningKeys>();
        services.AddSingleton<PublishNodeKeys>();
        services.AddSingleton<UsePublicOrigin>();
        services.AddSingleton<SkipNonProtocolRequests>();
        services.AddSingleton<ValidateWithNodeKeys>();
        services.AddScoped<AuditTokenResponse>();
        services.AddScoped<ClientApplications>();
        services.AddSingleton<IConfigureOptions<OpenIddictServerOptions>, InitialCredentials>();
        services.AddSingleton<TokenPruning>();
        services.AddHostedService(sp => sp.GetRequiredService<TokenPruning>());

        services.AddOpenIddict()
            .AddCore(o =>
            {
                o.UseEntityFrameworkCore().UseDbContext<GatewayDbContext>();
                o.ReplaceApplicationManager<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication, HashedSecretApplicationManager>();
            })
            .AddServer(o =>
            {
                o.SetAuthorizationEndpointUris(PeopleAuthorization.AuthorizationPath)
                    .SetTokenEndpointUris(TokenPath)
                    .SetRevocationEndpointUris(RevocationPath)
                    .SetIntrospectionEndpointUris(IntrospectionPath)
                    .SetJsonWebKeySetEndpointUris(JwksPath)
                    .SetConfigurationEndpointUris(ConfigurationPath);
                o.AllowClientCredentialsFlow()
                    .AllowAuthorizationCodeFlow()
                    .AllowRefreshTokenFlow()
                    .RequireProofKeyForCodeExchange();
                o.RegisterScopes(ApiScope, Scopes.OfflineAccess);
                o.SetAccessTokenLifetime(identity.AccessTokenLifetime);

                // Resource servers (this node's JwtBearer, partners' gateways) read the token: a signed JWT, not a JWE.
                o.DisableAccessTokenEncryption();
                if (!string.IsNullOrWhiteSpace(identity.Issuer))
                {
                    o.SetIssuer(new Uri(identity.Issuer, UriKind.Absolute));
                }

                o.Configure(options =>
                {
                    options.ClientAuthenticationMethods.Clear();
                    options.ClientAuthenticationMethods.UnionWith([ClientAuthenticationMethods.ClientSecretBasic, ClientAuthenticationMethods.ClientSecretPost, ClientAuthenticationMethods.PrivateKeyJwt]);

                    // Public clients (people's code flow) send only their client_id (RFC 8414 "none").
                    options.ClientAuthenticationMethods.Add("none");

                    // PKCE with S256 only ("plain" gives the verifier away to whoever sees the authorization request).
                    options.CodeChallengeMethods.Clear();
                    options.CodeChallengeMethods.Add(CodeChallengeMethods.Sha256);

                    // Rolling refresh tokens, each usable once: a refresh token used again (stolen) is refused at once.
                    options.RefreshTokenReuseLeeway = TimeSpan.Zero;
                });

                // Any token OpenIddict would encrypt itself (none with these flows) is protected by Data Protection, whose key
                // ring every replica shares through the database.
                o.UseDataProtection().PreferDefaultAccessTokenFormat();

                // TLS ends at the reverse proxy in front of the node (deploy/); the node itself listens on plain HTTP.
                o.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .DisableTransportSecurityRequirement()
                    .SetRealm("dataclauses");

                o.AddEventHandler<OpenIddictServerEvents.ProcessRequestContext>(b => b
                    .UseSingletonHandler<SkipNonProtocolRequests>()
                    .SetOrder(int.MinValue + 1_000)
                    .SetType(OpenIddictServerHandlerType.Custom));
                o.AddEventHandler<OpenIddictServerEvents.ProcessRequestContext>(b => b
                    .UseSingletonHandler<UsePublicOrigin>()
                    .SetOrder(OpenIddictServerAspNetCoreHandlers.ResolveRequestUri.Descriptor.Order + 1)
                    .SetType(OpenIddictServerHandlerType.Custom));
                o.AddEventHandler<OpenIddictServerEvents.GenerateTokenContext>(b => b
                    .UseSingletonHandler<UseNodeSigningKeys>()
                    .SetOrder(OpenIddictServerHandlers.Protection.AttachSecurityCredentials.Descriptor.Order + 1)
                    .SetType(OpenIddictServerHandlerType.Custom));
                o.AddEventHandler<OpenIddictServerEvents.ValidateTokenContext>(b => b
                    .UseSingletonHandler<ValidateWithNodeKeys>()
                    .SetOrder(OpenIddictServerHandlers.Protection.ResolveTokenValidationParameters.Descriptor.Order + 1)
                    .SetType(OpenIddictServerHandlerType.Custom));
                o.AddEventHandler<OpenIddictServerEvents.HandleJsonWebKeySetRequestContext>(b => b
                    .UseSingletonHandler<PublishNodeKeys>()
                    .SetOrder(OpenIddictServerHandlers.Discovery.AttachSigningKeys.Descriptor.Order + 1)
                    .SetType(OpenIddictServerHandlerType.Custom));
                o.AddEventHandler<OpenIddictServerEvents.ApplyTokenResponseContext>(b => b
                    .UseScopedHandler<AuditTokenResponse>()

                    // After WWW-Authenticate is written (it would carry the problem's fields), before the JSON body is.
                    .SetOrder(OpenIddictServerAspNetCoreHandlers.AttachWwwAuthenticateHeader<OpenIddictServerEvents.ApplyTokenResponseContext>.Descriptor.Order + 1)
                    .SetType(OpenIddictServerHandlerType.Custom));
            });
        return services;
    }

    /// <summary>The token endpoint's passthrough: OpenIddict has authenticated the client; the gateway decides and signs in.</summary>
    public static IEndpointRouteBuilder MapAuthorizationServer(this IEndpointRouteBuilder app)
    {
        app.MapPost(TokenPath, IssueAsync)
            .DisableAntiforgery()
            .AllowAnonymous()
            .WithName("IssueToken")
            .WithSummary("OAuth 2.0 token endpoint: client credentials (client_secret_basic, client_secret_post, private_key_jwt), authorization code with PKCE and refresh token (people); returns an RFC 9068 JWT access token.")
            .WithTags("Identity");
        return app;
    }

    private static async Task<IResult> IssueAsync(HttpContext http, GatewayDbContext db, IOptions<GatewayOptions> options, CancellationToken cancellationToken)
    {
        var request = http.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenIddict server request is missing (the token endpoint is a passthrough).");
        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            return await PeopleAuthorization.ExchangeAsync(http, request, cancellationToken);
        }

        if (!request.IsClientCredentialsGrantType())
        {
            // OpenIddict refuses every grant the server does not allow before this point.
            return Refuse(Errors.UnsupportedGrantType, "Only the client_credentials, authorization_code and refresh_token grants are supported.");
        }

        var client = await db.Clients.AsNoTracking().FirstOrDefaultAsync(c => c.ClientId == request.ClientId, cancellationToken);
        if (client is null || client.Disabled)
        {
            http.Items[RejectionReasonItem] = client is null ? "unknown client" : "client disabled";
            return Refuse(Errors.InvalidClient, "Client authentication failed.");
        }

        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, ClaimNames.Subject, ClaimNames.Roles);
        identity.SetClaim(Claims.Subject, client.ClientId);
        identity.SetClaim(ClaimNames.Organisation, client.OrganisationId);
        identity.SetClaims(ClaimNames.Roles, [.. client.Roles.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);
        identity.SetScopes(ApiScope);
        identity.SetAudiences(options.Value.Identity.Audience);
        identity.SetDestinations(_ => [Destinations.AccessToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    internal static IResult Refuse(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    /// <summary>Signs every token with the node's active key (from the database, shared by the replicas), not a key fixed at start.</summary>
    internal sealed class UseNodeSigningKeys(SigningKeys keys) : IOpenIddictServerHandler<OpenIddictServerEvents.GenerateTokenContext>
    {
        public async ValueTask HandleAsync(OpenIddictServerEvents.GenerateTokenContext context)
        {
            var (key, _) = await keys.GetSigningKeyAsync(context.CancellationToken);
            context.SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256) { CryptoProviderFactory = key.CryptoProviderFactory };
        }
    }

    /// <summary>Validates the server's own tokens (introspection, revocation) with every key that validates now.</summary>
    internal sealed class ValidateWithNodeKeys(SigningKeys keys) : IOpenIddictServerHandler<OpenIddictServerEvents.ValidateTokenContext>
    {
        public async ValueTask HandleAsync(OpenIddictServerEvents.ValidateTokenContext context)
        {
            // Client assertions are checked with the client's own registered keys, which OpenIddict resolves.
            if (context.ValidTokenTypes.Count == 1 && context.ValidTokenTypes.Contains(TokenTypeIdentifiers.Private.ClientAssertion))
            {
                return;
            }

            var validation = await keys.GetValidationKeysAsync(context.CancellationToken);
            context.TokenValidationParameters.IssuerSigningKeys = [.. validation.Select(k => k.Key)];
        }
    }

    /// <summary>The JWKS: every key that validates now (upcoming, active and retired-but-not-expired), from the database.</summary>
    internal sealed class PublishNodeKeys(SigningKeys keys) : IOpenIddictServerHandler<OpenIddictServerEvents.HandleJsonWebKeySetRequestContext>
    {
        public async ValueTask HandleAsync(OpenIddictServerEvents.HandleJsonWebKeySetRequestContext context)
        {
            var validation = await keys.GetValidationKeysAsync(context.CancellationToken);
            context.Keys.Clear();
            foreach (var (_, entity) in validation)
            {
                context.Keys.Add(new JsonWebKey(entity.PublicJwk));
            }
        }
    }

    /// <summary>
    /// OpenIddict needs credentials at start; the node's active key is one. Tokens are signed per request by
    /// <see cref="UseNodeSigningKeys"/>, so this snapshot never signs after a rotation.
    /// </summary>
    private sealed class InitialCredentials(SigningKeys keys) : IConfigureOptions<OpenIddictServerOptions>
    {
        public void Configure(OpenIddictServerOptions options)
        {
            // Runs once, when the server first handles a request (the database is initialised before the node serves).
            var (key, _) = Task.Run(() => keys.GetSigningKeyAsync(CancellationToken.None)).GetAwaiter().GetResult();
            options.SigningCredentials.Add(new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256));

            // OpenIddict insists on an encryption key although no token of these flows is encrypted (access tokens are
            // signed JWTs, anything else goes through Data Protection): one derived from the signing key, identical on
            // every replica, rather than an ephemeral one.
            var secret = System.Security.Cryptography.HKDF.DeriveKey(
                System.Security.Cryptography.HashAlgorithmName.SHA256,
                key.ECDsa.ExportParameters(includePrivateParameters: true).D!,
                32,
                info: "DataClauses.OpenIddict.encryption"u8.ToArray());
            options.EncryptionCredentials.Add(new EncryptingCredentials(new SymmetricSecurityKey(secret), SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));
        }
    }
}

/// <summary>
/// The absolute URIs OpenIddict writes (the issuer, discovery's endpoints) use the public origin — configured, or the
/// listening address — never the request's Host header, which anyone can set.
/// </summary>
internal sealed class UsePublicOrigin(PublicOrigin origin) : IOpenIddictServerHandler<OpenIddictServerEvents.ProcessRequestContext>
{
    public ValueTask HandleAsync(OpenIddictServerEvents.ProcessRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var public_ = new Uri(origin.Value + "/", UriKind.Absolute);

        // Both move together: OpenIddict matches the request's endpoint by resolving its paths against the base URI.
        context.BaseUri = context.BaseUri is { } baseUri ? Rebase(baseUri, public_) : null;
        context.RequestUri = context.RequestUri is { } requestUri ? Rebase(requestUri, public_) : null;
        return default;
    }

    private static Uri Rebase(Uri uri, Uri origin) => new UriBuilder(uri) { Scheme = origin.Scheme, Host = origin.Host, Port = origin.Port }.Uri;
}

/// <summary>
/// OpenIddict's server sees every request that goes through authentication; a request outside its paths
/// (<c>/connect</c>, <c>/.well-known</c>) is let go at its first handler, so API calls and pages do not pay for its
/// request processing (measured on protected queries: docs/BENCHMARKS.md).
/// </summary>
internal sealed class SkipNonProtocolRequests : IOpenIddictServerHandler<OpenIddictServerEvents.ProcessRequestContext>
{
    public ValueTask HandleAsync(OpenIddictServerEvents.ProcessRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var path = context.Transaction.GetHttpRequest()?.Path ?? default;
        if (!path.StartsWithSegments("/connect", StringComparison.OrdinalIgnoreCase) && !path.StartsWithSegments("/.well-known", StringComparison.OrdinalIgnoreCase))
        {
            context.SkipRequest();
        }

        return default;
    }
}
