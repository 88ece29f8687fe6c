using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataClauses.Gateway.Identity;

/// <summary>
/// The built-in issuer: OAuth 2.0 client credentials (RFC 6749 §4.4) with client_secret_basic or client_secret_post,
/// issuing short-lived JWT access tokens in the RFC 9068 profile, signed with the node's current key.
/// </summary>
internal static partial class TokenEndpoint
{
    public const string RateLimitPolicy = "token";
    public const string Path = "/connect/token";

    public static IEndpointRouteBuilder MapTokenEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, IssueAsync)
            .DisableAntiforgery()
            .AllowAnonymous()
            .RequireRateLimiting(RateLimitPolicy)
            .WithName("IssueToken")
            .WithSummary("OAuth 2.0 client credentials grant (RFC 6749 §4.4); returns an RFC 9068 JWT access token.")
            .WithTags("Identity");
        return app;
    }

    private static async Task<IResult> IssueAsync(
        HttpContext http,
        GatewayDbContext db,
        SigningKeys keys,
        AuditService audit,
        TimeProvider clock,
        IOptions<GatewayOptions> options,
        PublicOrigin origin,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
        if (!http.Request.HasFormContentType)
        {
            return Error(http, 400, "invalid_request", "The token request must be application/x-www-form-urlencoded.");
        }

        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(cancellationToken);
        }
        catch (InvalidDataException)
        {
            return Error(http, 400, "invalid_request", "The form body could not be read.");
        }

        // RFC 6749 §3.2: parameters must not be repeated.
        if (form.Any(p => p.Value.Count > 1))
        {
            return Error(http, 400, "invalid_request", "A parameter is repeated.");
        }

        var grantType = form["grant_type"].ToString();
        if (string.IsNullOrEmpty(grantType))
        {
            return Error(http, 400, "invalid_request", "grant_type is required.");
        }

        var (clientId, secret, method, authError) = ReadClientCredentials(http, form);
        if (authError is not null)
        {
            return Error(http, 400, "invalid_request", authError);
        }

        if (clientId is null || secret is null)
        {
            return await RejectClientAsync(http, audit, clientId, "no client credentials", method, cancellationToken);
        }

        var client = await db.Clients.AsNoTracking().FirstOrDefaultAsync(c => c.ClientId == clientId, cancellationToken);

        // Verify against a dummy hash when the client is unknown, so that timing does not reveal which ids exist.
        var valid = SecretHasher.Verify(secret, client?.SecretHash ?? DummyHash);
        if (client is null || !valid || client.Disabled)
        {
            var why = client is null ? "unknown client" : client.Disabled ? "client disabled" : "wrong secret";
            return await RejectClientAsync(http, audit, clientId, why, method, cancellationToken);
        }

        if (grantType != "client_credentials")
        {
            return Error(http, 400, "unsupported_grant_type", "Only the client_credentials grant is supported.");
        }

        var scope = form["scope"].ToString();
        if (scope.Length > 0 && scope != "api")
        {
            return Error(http, 400, "invalid_scope", "The only scope is 'api'.");
        }

        var identity = options.Value.Identity;
        var now = clock.GetUtcNow();
        var (key, keyId) = await keys.GetSigningKeyAsync(cancellationToken);
        var roles = client.Roles.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var jti = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = origin.Issuer,
            Audience = identity.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + identity.AccessTokenLifetime).UtcDateTime,
            TokenType = "at+jwt",
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256) { CryptoProviderFactory = key.CryptoProviderFactory },
            Claims = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                [ClaimNames.Subject] = client.ClientId,
                [ClaimNames.ClientId] = client.ClientId,
                [ClaimNames.Organisation] = client.OrganisationId,
                [ClaimNames.Roles] = roles,
                ["jti"] = jti,
                ["scope"] = "api",
            },
        };
        var token = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);

        var auditEvent = audit.Create("token.issued", "success") with
        {
            Actor = new DataClauses.Audit.AuditActor(client.ClientId, client.OrganisationId, roles, client.ClientId, http.Connection.RemoteIpAddress?.ToString()),
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["jti"] = jti,
                ["kid"] = keyId,
                ["authMethod"] = method ?? "none",
                ["expiresAt"] = DataClauses.Audit.AuditCanonicalForm.FormatInstant(now + identity.AccessTokenLifetime),
            },
        };
        await audit.RecordAsync(auditEvent, cancellationToken);
        LogIssued(loggers.CreateLogger("DataClauses.Gateway.Identity.TokenEndpoint"), client.ClientId, client.OrganisationId);

        return Results.Json(new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["access_token"] = token,
            ["token_type"] = "Bearer",
            ["expires_in"] = (int)identity.AccessTokenLifetime.TotalSeconds,
            ["scope"] = "api",
        });
    }

    private static readonly string DummyHash = SecretHasher.Hash(SecretHasher.NewSecret());

    /// <summary>Reads client_secret_basic or client_secret_post; using both at once is an error (RFC 6749 §2.3).</summary>
    private static (string? ClientId, string? Secret, string? Method, string? Error) ReadClientCredentials(HttpContext http, IFormCollection form)
    {
        var header = http.Request.Headers.Authorization.ToString();
        var postId = form["client_id"].ToString();
        var postSecret = form["client_secret"].ToString();
        if (header.Length > 0)
        {
            if (postSecret.Length > 0)
            {
                return (null, null, null, "Use one client authentication method, not both.");
            }

            if (!AuthenticationHeaderValue.TryParse(header, out var value) || !string.Equals(value.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || value.Parameter is null)
            {
                return (null, null, "client_secret_basic", null);
            }

            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(value.Parameter));
            }
            catch (FormatException)
            {
                return (null, null, "client_secret_basic", null);
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return (null, null, "client_secret_basic", null);
            }

            // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
            return (Uri.UnescapeDataString(decoded[..colon].Replace('+', ' ')), Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' ')), "client_secret_basic", null);
        }

        return postId.Length > 0 && postSecret.Length > 0
            ? (postId, postSecret, "client_secret_post", null)
            : (postId.Length > 0 ? postId : null, null, "client_secret_post", null);
    }

    private static async Task<IResult> RejectClientAsync(HttpContext http, AuditService audit, string? clientId, string why, string? method, CancellationToken cancellationToken)
    {
        var auditEvent = audit.Create("token.rejected", "failure") with
        {
            Actor = new DataClauses.Audit.AuditActor(clientId is { Length: <= 100 } ? clientId : "unknown", null, [], clientId is { Length: <= 100 } ? clientId : null, http.Connection.RemoteIpAddress?.ToString()),
            Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["reason"] = why, ["authMethod"] = method ?? "none" },
        };
        await audit.RecordAsync(auditEvent, cancellationToken);
        if (method == "client_secret_basic")
        {
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"dataclauses\"";
        }

        return Error(http, 401, "invalid_client", "Client authentication failed.");
    }

    /// <summary>
    /// An OAuth error (RFC 6749 §5.2) that is also an RFC 9457 problem: clients read <c>error</c>, people read the rest.
    /// </summary>
    private static IResult Error(HttpContext http, int status, string error, string description) =>
        Results.Json(
            new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["error"] = error,
                ["error_description"] = description,
                ["type"] = Problems.TypeBase + "oauth/" + error,
                ["title"] = "Jeton refusé / Token request refused",
                ["status"] = status,
                ["detail"] = description,
                ["correlationId"] = CorrelationId.Of(http),
            },
            statusCode: status);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Issued an access token to client {ClientId} of {Organisation}")]
    private static partial void LogIssued(ILogger logger, string clientId, string organisation);
}
