using System.Security.Claims;
using DataClauses.Audit;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Storage;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Audit;

/// <summary>
/// Enriches audit events with what every event carries (clock, actor, IP, correlation id, node) and stores them.
/// Audit is always on; nothing turns it off.
/// </summary>
internal sealed class AuditService(
    IServiceProvider services,
    ScopedDbContext scopedDb,
    AuditAppender appender,
    IHttpContextAccessor httpContextAccessor,
    TimeProvider clock,
    IOptions<GatewayOptions> options)
{
    /// <summary>A new event for the current request, with the authenticated caller as actor.</summary>
    public AuditEvent Create(string action, string outcome)
    {
        var context = httpContextAccessor.HttpContext;
        return new AuditEvent
        {
            Action = action,
            Outcome = outcome,
            Timestamp = clock.GetUtcNow(),
            Actor = ActorOf(context?.User, context?.Connection.RemoteIpAddress?.ToString()),
            CorrelationId = context is null ? Guid.NewGuid().ToString("N") : CorrelationId.Of(context),
            NodeId = options.Value.NodeId,
        };
    }

    /// <summary>Appends within the current transaction of the request's DbContext.</summary>
    public Task<SealedAuditEvent> AppendInTransactionAsync(AuditEvent auditEvent, CancellationToken cancellationToken) =>
        AuditWriter.AppendAsync(services.GetRequiredService<GatewayDbContext>(), auditEvent, cancellationToken);

    /// <summary>
    /// Records an event that goes with no other change (reads, queries, token requests): inside the request's
    /// transaction when one is open, otherwise by group commit with concurrent requests (durable on return).
    /// </summary>
    public async Task<SealedAuditEvent> RecordAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        // A request that never used its DbContext has no transaction open: no context is created just to ask.
        if (scopedDb.Context is { Database.CurrentTransaction: not null } db)
        {
            return await AuditWriter.AppendAsync(db, auditEvent, cancellationToken);
        }

        return await appender.AppendAsync(auditEvent, cancellationToken);
    }

    private static AuditActor ActorOf(ClaimsPrincipal? user, string? ip)
    {
        if (user?.Identity?.IsAuthenticated != true)
        {
            return AuditActor.Anonymous(ip);
        }

        var caller = Caller.From(user);
        return new AuditActor(caller.Subject, caller.Organisation, caller.Roles, caller.ClientId, ip);
    }
}
