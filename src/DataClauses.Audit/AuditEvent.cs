namespace DataClauses.Audit;

/// <summary>Who did something: a user or client, its organisation and roles, and where from.</summary>
/// <param name="Subject">User or client id (<c>sub</c>); "anonymous" when unauthenticated.</param>
/// <param name="Organisation">Organisation id, when known.</param>
/// <param name="Roles">Roles held.</param>
/// <param name="ClientId">OAuth client id, when the actor is a client.</param>
/// <param name="Ip">Remote address, when known.</param>
public sealed record AuditActor(string Subject, string? Organisation, IReadOnlyList<string> Roles, string? ClientId = null, string? Ip = null)
{
    /// <summary>An unauthenticated actor.</summary>
    public static AuditActor Anonymous(string? ip = null) => new("anonymous", null, [], null, ip);
}

/// <summary>A reason of a decision as the audit keeps it: rule and clause.</summary>
/// <param name="Rule">Rule code.</param>
/// <param name="Clause">Clause id, when one applies.</param>
/// <param name="Subject">Offending value, when one applies.</param>
public sealed record AuditReason(string Rule, string? Clause, string? Subject);

/// <summary>
/// One thing that happened, before it is sealed into the chain. Values only: never cell values, data rows,
/// tokens or secrets.
/// </summary>
public sealed record AuditEvent
{
    /// <summary>What happened, dotted (e.g. <c>token.issued</c>, <c>dataset.published</c>, <c>query.denied</c>).</summary>
    public required string Action { get; init; }

    /// <summary>When it happened (from the injected clock).</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Who did it.</summary>
    public required AuditActor Actor { get; init; }

    /// <summary>success, failure or denied.</summary>
    public required string Outcome { get; init; }

    /// <summary>The organisation whose data is concerned (the dataset's provider), when there is one.</summary>
    public string? DataOwner { get; init; }

    /// <summary>Dataset concerned.</summary>
    public string? Dataset { get; init; }

    /// <summary>Dataset version concerned.</summary>
    public string? Version { get; init; }

    /// <summary>Declared purpose.</summary>
    public string? Purpose { get; init; }

    /// <summary>Decision effect (permit, deny, approval-required), when a decision was made.</summary>
    public string? Effect { get; init; }

    /// <summary>The decision's reasons.</summary>
    public IReadOnlyList<AuditReason> Reasons { get; init; } = [];

    /// <summary>Obligations applied (name → value as text).</summary>
    public IReadOnlyDictionary<string, string> Obligations { get; init; } = EmptyMap;

    /// <summary>Number of cells suppressed, for protected answers.</summary>
    public long? CellsSuppressed { get; init; }

    /// <summary>Correlation id shared by every node that handled the request.</summary>
    public required string CorrelationId { get; init; }

    /// <summary>The node that wrote the event.</summary>
    public required string NodeId { get; init; }

    /// <summary>Other facts (name → value as text): row counts, client ids, error types…</summary>
    public IReadOnlyDictionary<string, string> Details { get; init; } = EmptyMap;

    private static readonly IReadOnlyDictionary<string, string> EmptyMap = new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>An event sealed into the chain: its position, the previous event's hash and its own.</summary>
/// <param name="Sequence">1-based position in the chain.</param>
/// <param name="Event">The event.</param>
/// <param name="PreviousHash">Hex SHA-256 of the previous event (<see cref="AuditChain.GenesisHash"/> for the first).</param>
/// <param name="Hash">Hex SHA-256 of this event's canonical form.</param>
/// <param name="Canonical">The canonical JSON that was hashed (stored as is, so that verification needs nothing else).</param>
public sealed record SealedAuditEvent(long Sequence, AuditEvent Event, string PreviousHash, string Hash, string Canonical);
