namespace DataClauses.Audit;

/// <summary>
/// Where sealed events are stored. The gateway's sink writes them in the same transaction as the change they
/// record, and serialises writers so that the chain stays linear. Audit is always on: no setting disables it.
/// </summary>
public interface IAuditSink
{
    /// <summary>Seals <paramref name="auditEvent"/> after the current chain head and stores it.</summary>
    Task<SealedAuditEvent> AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken);
}
