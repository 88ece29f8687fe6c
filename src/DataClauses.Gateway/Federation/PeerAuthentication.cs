using System.Text.Encodings.Web;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Extracts;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Federation;

/// <summary>
/// Authentication of a request forwarded by a peer node (header <see cref="PeerAssertions.HeaderName"/>): the
/// assertion stands for the person at the peer. Only the endpoints a peer forwards to accept it (queries, indicators,
/// decision dry runs, extracts) and the peers' catalogue; a refusal is audited (<c>federation.peer-refused</c>) and answered with its own problem.
/// </summary>
internal sealed class PeerAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    PeerAssertions assertions,
    AuditService audit,
    GatewayDbContext db)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "peer";
    public const string RefusedAction = "federation.peer-refused";
    private const string RefusalKey = "DataClauses.PeerRefusal";

    /// <summary>The response header that names why a peer's request was refused (the problem's type).</summary>
    public const string RefusalHeader = "DataClauses-Peer-Refusal";

    /// <summary>The response header that gives this node's contract hash when the peer's differs (drift).</summary>
    public const string ContractHashHeader = "DataClauses-Contract-Sha256";

    /// <summary>The paths a peer may forward to.</summary>
    private static readonly string[] ForwardablePaths = ["/api/v1/queries", "/api/v1/indicators", "/api/v1/policy/decisions", "/api/v1/extracts", PeerCatalogs.Path];

    /// <summary>Whether the request carries a peer assertion.</summary>
    public static bool Carries(HttpRequest request) => request.Headers.ContainsKey(PeerAssertions.HeaderName);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = Request.Headers[PeerAssertions.HeaderName].ToString();
        if (token.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        var (principal, refusal) = ForwardablePaths.Any(p => Request.Path.StartsWithSegments(p, StringComparison.Ordinal))
            ? await assertions.ValidateAsync(token, db, Context.RequestAborted)
            : (null, new PeerRefusal("peer-endpoint-forbidden", StatusCodes.Status403Forbidden, $"A peer node may not call {Request.Path}.", null, new Dictionary<string, string>()));
        if (refusal is not null)
        {
            Context.Items[RefusalKey] = refusal;
            var auditEvent = audit.Create(RefusedAction, "denied") with { Effect = "deny" };
            var details = new List<(string Key, string? Value)> { ("reason", refusal.Type), ("path", Request.Path.ToString()) };
            details.AddRange(refusal.Details.Select(d => (d.Key, (string?)d.Value)));
            if (refusal.Peer is { } peer)
            {
                details.Add(("peer", SafeText.Printable(peer)));
            }

            await audit.RecordAsync(auditEvent.With([.. details]), CancellationToken.None);
            return AuthenticateResult.Fail(refusal.Detail);
        }

        return AuthenticateResult.Success(new AuthenticationTicket(principal!, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var refusal = Context.Items[RefusalKey] as PeerRefusal
            ?? new PeerRefusal("peer-assertion-invalid", StatusCodes.Status401Unauthorized, "Send a node assertion.", null, new Dictionary<string, string>());
        // The requesting node reads why in a header (it streams the body through) and records it in its own audit.
        Response.Headers[RefusalHeader] = refusal.Type;
        if (refusal.Details.TryGetValue("ourHash", out var hash))
        {
            Response.Headers[ContractHashHeader] = hash;
        }

        var problem = new ApiProblem(refusal.Status, refusal.Type, "Nœud refusé / Peer node refused", refusal.Detail);
        await problem.ToResult(Context).ExecuteAsync(Context);
    }
}
