using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using Microsoft.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace DataClauses.Gateway.Identity;

/// <summary>
/// Every answer of the token endpoint: an issued token is audited (<c>token.issued</c>, with its jti and key id), a
/// refused client too (<c>token.rejected</c>, with the reason, never the secret); an error is also an RFC 9457
/// problem, so that clients read <c>error</c> and people read the rest.
/// </summary>
internal sealed partial class AuditTokenResponse(
    AuditService audit,
    IOpenIddictApplicationManager applications,
    ILogger<AuditTokenResponse> logger) : IOpenIddictServerHandler<OpenIddictServerEvents.ApplyTokenResponseContext>
{
    public async ValueTask HandleAsync(OpenIddictServerEvents.ApplyTokenResponseContext context)
    {
        var http = context.Transaction.GetHttpRequest()?.HttpContext
            ?? throw new InvalidOperationException("The token endpoint runs in ASP.NET Core.");
        var cancellationToken = context.CancellationToken;
        if (context.Error is null && context.Response.AccessToken is { } accessToken)
        {
            await AuditIssuedAsync(http, accessToken, cancellationToken);
            return;
        }

        if (context.Error is not { } error)
        {
            return;
        }

        var status = error switch
        {
            Errors.InvalidClient => StatusCodes.Status401Unauthorized,
            Errors.ServerError => StatusCodes.Status500InternalServerError,
            _ => StatusCodes.Status400BadRequest,
        };
        context.Response["type"] = Problems.TypeBase + "oauth/" + error;
        context.Response["title"] = "Jeton refusé / Token request refused";
        context.Response["status"] = status;
        context.Response["detail"] = context.Response.ErrorDescription;
        context.Response["correlationId"] = CorrelationId.Of(http);
        if (error == Errors.InvalidClient)
        {
            await AuditRejectedAsync(http, context.Request, cancellationToken);
        }
    }

    private async Task AuditIssuedAsync(HttpContext http, string accessToken, CancellationToken cancellationToken)
    {
        var jwt = new JsonWebTokenHandler().ReadJsonWebToken(accessToken);
        var subject = jwt.Subject;
        var organisation = jwt.TryGetPayloadValue<string>(ClaimNames.Organisation, out var org) ? org : null;
        var roles = jwt.Claims.Where(c => c.Type == ClaimNames.Roles).Select(c => c.Value).ToList();
        var clientId = jwt.TryGetPayloadValue<string>(ClaimNames.ClientId, out var id) ? id : subject;
        var auditEvent = audit.Create("token.issued", "success") with
        {
            Actor = new DataClauses.Audit.AuditActor(subject, organisation, roles, clientId, http.Connection.RemoteIpAddress?.ToString()),
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["jti"] = jwt.Id,
                ["kid"] = jwt.Kid,
                ["authMethod"] = AuthMethodOf(http.GetOpenIddictServerRequest(), http),
                ["expiresAt"] = DataClauses.Audit.AuditCanonicalForm.FormatInstant(new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero)),
            },
        };
        await audit.RecordAsync(auditEvent, cancellationToken);
        LogIssued(logger, clientId, organisation ?? string.Empty);
    }

    private async Task AuditRejectedAsync(HttpContext http, OpenIddictRequest? request, CancellationToken cancellationToken)
    {
        // With private_key_jwt the client is named by the assertion's issuer (unverified here: it was refused).
        var clientId = (request?.ClientId ?? IssuerOf(request?.ClientAssertion)) is { Length: > 0 and <= 100 } id ? id : null;
        var reason = http.Items[AuthorizationServer.RejectionReasonItem] as string ?? await ReasonAsync(request, clientId, cancellationToken);
        var auditEvent = audit.Create("token.rejected", "failure") with
        {
            Actor = new DataClauses.Audit.AuditActor(clientId ?? "unknown", null, [], clientId, http.Connection.RemoteIpAddress?.ToString()),
            Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["reason"] = reason, ["authMethod"] = AuthMethodOf(request, http) },
        };
        await audit.RecordAsync(auditEvent, cancellationToken);
    }

    /// <summary>Why OpenIddict refused the client, found again only on this (rare) path so that success costs nothing more.</summary>
    private async Task<string> ReasonAsync(OpenIddictRequest? request, string? clientId, CancellationToken cancellationToken)
    {
        if (clientId is null)
        {
            return "no client credentials";
        }

        if (await applications.FindByClientIdAsync(clientId, cancellationToken) is null)
        {
            return "unknown client";
        }

        return request!.ClientAssertion is not null ? "invalid client assertion"
            : request.ClientSecret is null ? "no client credentials"
            : "wrong secret";
    }

    private static string? IssuerOf(string? assertion)
    {
        var handler = new JsonWebTokenHandler();
        if (assertion is null || !handler.CanReadToken(assertion))
        {
            return null;
        }

        try
        {
            return handler.ReadJsonWebToken(assertion).Issuer;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static string AuthMethodOf(OpenIddictRequest? request, HttpContext http) =>
        request?.ClientAssertion is not null ? ClientAuthenticationMethods.PrivateKeyJwt
        : http.Request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) ? ClientAuthenticationMethods.ClientSecretBasic
        : request?.ClientSecret is not null ? ClientAuthenticationMethods.ClientSecretPost
        : "none";

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Issued an access token to client {ClientId} of {Organisation}")]
    private static partial void LogIssued(ILogger logger, string clientId, string organisation);
}
