using DataClauses.Audit;
using DataClauses.Gateway.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;

namespace DataClauses.Gateway.Audit;

/// <summary>
/// Denied attempts are audited as carefully as permitted ones: an authenticated caller refused by an endpoint's
/// authorization policy (wrong role, no organisation) leaves an <c>access.denied</c> event with the method, path and
/// the roles that would have been needed; then the default handler answers 403 as before. Unauthenticated calls
/// (401) are not recorded: they name nobody.
/// </summary>
internal sealed class AccessDeniedAudit : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(authorizeResult);
        if (authorizeResult.Forbidden && context.User.Identity?.IsAuthenticated == true)
        {
            var required = authorizeResult.AuthorizationFailure?.FailedRequirements
                .OfType<ClaimsAuthorizationRequirement>()
                .Where(r => string.Equals(r.ClaimType, ClaimNames.Roles, StringComparison.Ordinal))
                .SelectMany(r => r.AllowedValues ?? [])
                .Distinct(StringComparer.Ordinal)
                .ToList() ?? [];
            var audit = context.RequestServices.GetRequiredService<AuditService>();
            var path = context.Request.Path.Value ?? string.Empty;
            await audit.RecordAsync(audit.Create(AuditActions.AccessDenied, "denied") with
            {
                Effect = "deny",
                Reasons = [new AuditReason(required.Count > 0 ? "role-required" : "not-authorised", null, required.Count > 0 ? string.Join(',', required) : null)],
                Details = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["method"] = context.Request.Method,
                    ["path"] = path.Length > 300 ? path[..300] : path,
                },
            }, context.RequestAborted);
        }

        await _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
