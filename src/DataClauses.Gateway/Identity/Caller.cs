using System.Security.Claims;

namespace DataClauses.Gateway.Identity;

/// <summary>The roles of DataClauses, always scoped to the caller's organisation.</summary>
internal static class Roles
{
    public const string Publisher = "publisher";
    public const string Analyst = "analyst";
    public const string Steward = "steward";
    public const string Dpo = "dpo";
    public const string Admin = "admin";

    public static readonly string[] All = [Publisher, Analyst, Steward, Dpo, Admin];
}

/// <summary>The claim names the gateway reads (the same for the built-in issuer and, after mapping, external ones).</summary>
internal static class ClaimNames
{
    public const string Subject = "sub";
    public const string ClientId = "client_id";
    public const string Organisation = "org";
    public const string Roles = "roles";

    /// <summary>The peer node a request was forwarded by (set only by the peer scheme).</summary>
    public const string Node = "node";
}

/// <summary>The authenticated caller: subject, client, organisation and roles; and the peer node that forwarded the request, if one did.</summary>
internal sealed record Caller(string Subject, string? ClientId, string Organisation, IReadOnlyList<string> Roles)
{
    /// <summary>The peer node the request came through (federation), or null for a caller of this node.</summary>
    public string? Node { get; init; }

    public bool Has(string role) => Roles.Contains(role, StringComparer.Ordinal);

    /// <summary>The caller as the policy engine's requester.</summary>
    public DataClauses.Policy.Engine.Requester ToRequester() => new(Subject, Organisation, Roles);

    public static Caller From(ClaimsPrincipal user) => new(
        user.FindFirstValue(ClaimNames.Subject) ?? "unknown",
        user.FindFirstValue(ClaimNames.ClientId),
        user.FindFirstValue(ClaimNames.Organisation) ?? string.Empty,
        user.FindAll(ClaimNames.Roles).Select(c => c.Value).Where(r => Identity.Roles.All.Contains(r, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal).ToList())
    {
        // Only the peer scheme vouches for a node; the same claim in another issuer's token means nothing.
        Node = user.Identities.FirstOrDefault(i => i.AuthenticationType == Federation.PeerAuthentication.SchemeName)?.FindFirst(ClaimNames.Node)?.Value,
    };
}
