using System.Globalization;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace DataClauses.Gateway.Identity;

/// <summary>
/// Where it matters (extract downloads and votes, client administration), a built-in token is checked against its
/// client as it is now: a disabled client's token, or one issued before the client's secret was rotated, is refused
/// with 401 <c>token-revoked</c> and the attempt is audited. Elsewhere a token stays valid until it expires (at most
/// the access token lifetime, 10 minutes by default): checking every request would cost a read per request.
/// </summary>
internal sealed class TokenRevocation(GatewayDbContext db, AuditService audit, PublicOrigin origin) : IEndpointFilter
{
    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        if (await WhyRevokedAsync(http) is { } why)
        {
            var caller = Caller.From(http.User);
            await audit.RecordAsync(audit.Create("token.revoked-use", "denied") with
            {
                Effect = "deny",
                Details = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["reason"] = why,
                    ["clientId"] = caller.ClientId ?? caller.Subject,
                    ["method"] = http.Request.Method,
                    ["path"] = SafeText.Printable(http.Request.Path.Value ?? string.Empty, 300),
                },
            }, http.RequestAborted);
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return Problems.Create(
                StatusCodes.Status401Unauthorized,
                "token-revoked",
                "Jeton révoqué / Token revoked",
                $"The access token's client is {why}: request a new token.",
                new Dictionary<string, object?>(StringComparer.Ordinal) { ["correlationId"] = CorrelationId.Of(http) });
        }

        return await next(context);
    }

    private async Task<string?> WhyRevokedAsync(HttpContext http)
    {
        var user = http.User;
        if (!string.Equals(user.FindFirst("iss")?.Value, origin.Issuer, StringComparison.Ordinal)
            || user.FindFirst(ClaimNames.ClientId)?.Value is not { } clientId)
        {
            return null; // Not a built-in token: its issuer revokes it.
        }

        var client = await db.Clients.AsNoTracking().FirstOrDefaultAsync(c => c.ClientId == clientId, http.RequestAborted);
        if (client is null || client.Disabled)
        {
            return "disabled";
        }

        // A secret never rotated revokes nothing (replicas' clocks may differ a little from the one that created it).
        if (client.SecretRotatedAt <= client.CreatedAt)
        {
            return null;
        }

        // iat has whole seconds: a token issued in the second of the rotation, or later, is the new secret's.
        var issuedAt = long.TryParse(user.FindFirst("iat")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var iat) ? iat : long.MinValue;
        return issuedAt < client.SecretRotatedAt.ToUnixTimeSeconds() ? "issued before its secret was rotated" : null;
    }
}
