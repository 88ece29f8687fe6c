using Microsoft.AspNetCore.Authorization;

namespace DataClauses.Gateway.Identity;

/// <summary>Authorization requirements shared by the features' endpoint groups.</summary>
internal static class OrganisationPolicy
{
    /// <summary>
    /// One of the roles, within an organisation: every check is scoped to the caller's organisation, so a token without
    /// one (an external issuer's, say, missing its organisation claim) is refused whatever roles it carries.
    /// </summary>
    public static AuthorizationPolicyBuilder RequireOrganisationRole(this AuthorizationPolicyBuilder policy, params string[] roles) =>
        policy.RequireAuthenticatedUser()
            .RequireClaim(ClaimNames.Roles, roles)
            .RequireAssertion(context => context.User.FindFirst(ClaimNames.Organisation)?.Value is { Length: > 0 });
}
