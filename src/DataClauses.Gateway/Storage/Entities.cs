namespace DataClauses.Gateway.Storage;

/// <summary>
/// An OAuth client (a partner's system): what it may do. How it authenticates (hashed secret or public keys) is its
/// OpenIddict application of the same client id (see ClientApplications).
/// </summary>
internal sealed class ClientEntity
{
    public required string ClientId { get; set; }

    public required string OrganisationId { get; set; }

    /// <summary>Roles, space-separated.</summary>
    public required string Roles { get; set; }

    public string? Description { get; set; }

    public bool Disabled { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset SecretRotatedAt { get; set; }

    /// <summary>The person the client acts for (a demo user name, an e-mail); null: the client id.</summary>
    public string? Person { get; set; }

    /// <summary>The person who created it through the admin API; null for a seeded client.</summary>
    public string? CreatedBy { get; set; }

    /// <summary>Another person who confirmed that <see cref="Person"/> is right; until then the client counts as <see cref="CreatedBy"/>.</summary>
    public string? ConfirmedBy { get; set; }
}

/// <summary>A person's local account for the web UI (embedded default). The password is stored hashed.</summary>
internal sealed class UserEntity
{
    public required string UserName { get; set; }

    public required string OrganisationId { get; set; }

    public required string Roles { get; set; }

    public required string DisplayName { get; set; }

    public required string PasswordHash { get; set; }

    public int FailedAttempts { get; set; }

    public DateTimeOffset? LockoutEnd { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A token signing key; the private part is protected with ASP.NET Core Data Protection.</summary>
internal sealed class SigningKeyEntity
{
    public required string KeyId { get; set; }

    public required string Algorithm { get; set; }

    public required string ProtectedPrivateKey { get; set; }

    /// <summary>The public JWK as JSON.</summary>
    public required string PublicJwk { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>From when it signs.</summary>
    public DateTimeOffset ActivatesAt { get; set; }

    /// <summary>From when it no longer signs (the next key takes over).</summary>
    public DateTimeOffset RetiresAt { get; set; }

    /// <summary>From when it leaves the JWKS (its last tokens have expired).</summary>
    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>A dataset declared by its provider, with its schema.</summary>
internal sealed class DatasetEntity
{
    public required string DatasetId { get; set; }

    public required string ContractId { get; set; }

    public required string ProviderId { get; set; }

    public required string Title { get; set; }

    /// <summary>The validated schema as JSON.</summary>
    public required string SchemaJson { get; set; }

    /// <summary>Secret used to hash unit identifiers (per dataset, never exposed).</summary>
    public required string UnitIdKey { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public required string DeclaredBy { get; set; }
}

/// <summary>One immutable, visible snapshot of a dataset, stored in its own typed table.</summary>
internal sealed class DatasetVersionEntity
{
    public required string DatasetId { get; set; }

    public required string Version { get; set; }

    /// <summary>The typed table holding the rows (a generated, validated identifier).</summary>
    public required string TableName { get; set; }

    public long RowCount { get; set; }

    /// <summary>Hex SHA-256 of the uploaded bytes.</summary>
    public required string ContentSha256 { get; set; }

    /// <summary>The schema the rows were validated against (JSON).</summary>
    public required string SchemaJson { get; set; }

    public DateTimeOffset PublishedAt { get; set; }

    public required string PublishedBy { get; set; }
}

/// <summary>One sealed audit event: indexed columns for filtering, and the canonical JSON that is hashed.</summary>
internal sealed class AuditEventEntity
{
    public long Sequence { get; set; }

    public DateTimeOffset Timestamp { get; set; }

    public required string Action { get; set; }

    public required string Outcome { get; set; }

    public required string ActorSubject { get; set; }

    public string? ActorOrganisation { get; set; }

    public string? DataOwner { get; set; }

    public string? Dataset { get; set; }

    public string? Purpose { get; set; }

    public string? Effect { get; set; }

    public required string CorrelationId { get; set; }

    public required string NodeId { get; set; }

    public required string Canonical { get; set; }

    public required string PreviousHash { get; set; }

    public required string Hash { get; set; }
}

/// <summary>
/// One protected cube: a dataset version aggregated over a clause's allowed dimensions with every marginal, after
/// primary and secondary suppression. Immutable: a new version, an amended clause or other rules give another key.
/// The payload holds the published cells' values only; suppressed cells carry their status and nothing else.
/// </summary>
internal sealed class ProtectedCubeEntity
{
    public required string DatasetId { get; set; }

    public required string Version { get; set; }

    public required string ContractId { get; set; }

    public required string ClauseId { get; set; }

    /// <summary>The amendment that last changed the clause (0 = as signed).</summary>
    public int ClauseAmendment { get; set; }

    /// <summary>Hex SHA-256 of the cube's definition (dimensions, hierarchies, measures, disclosure rules).</summary>
    public required string Fingerprint { get; set; }

    /// <summary>The definition the fingerprint hashes, as canonical JSON (for DPOs; never values).</summary>
    public required string Definition { get; set; }

    public DateTimeOffset BuiltAt { get; set; }

    public int CellCount { get; set; }

    public int PrimaryCount { get; set; }

    public int SecondaryCount { get; set; }

    /// <summary>The protected cells, gzip-compressed binary (see Queries/CubePayload.cs).</summary>
    public required byte[] Payload { get; set; }
}

/// <summary>A signed statement of the audit chain's head (periodic, on demand, or the anchor of a retention purge).</summary>
internal sealed class AuditCheckpointEntity
{
    public long Sequence { get; set; }

    public required string Hash { get; set; }

    public required string NodeId { get; set; }

    public required string KeyId { get; set; }

    public DateTimeOffset SignedAt { get; set; }

    public required string Signature { get; set; }

    /// <summary>periodic, on-demand or anchor.</summary>
    public required string Kind { get; set; }
}

/// <summary>
/// One extract request and its life: pending-approval → approved → producing → ready → expired → purged, or rejected,
/// denied or failed (see docs/extracts.md). Holds the request and the decisions, never a cell value; the files are in
/// <see cref="ExtractFileEntity"/>.
/// </summary>
internal sealed class ExtractEntity
{
    /// <summary>128 random bits as 32 lowercase hex digits: unguessable.</summary>
    public required string Id { get; set; }

    public required string RequesterSubject { get; set; }

    public string? RequesterClientId { get; set; }

    public required string RequesterOrganisation { get; set; }

    /// <summary>The requester's roles when asking, space-separated (the extract is re-decided with them).</summary>
    public required string RequesterRoles { get; set; }

    /// <summary>The providers of the tables' datasets, each between bars (<c>|caf-44|ft-pdl|</c>), for lookups.</summary>
    public required string Providers { get; set; }

    public required string Purpose { get; set; }

    public required string Justification { get; set; }

    /// <summary>The retention asked (ISO-8601 duration).</summary>
    public required string RequestedRetention { get; set; }

    /// <summary>The tables asked (dataset, pinned version, dimensions, measures, filters, provider, clause) as JSON.</summary>
    public required string TablesJson { get; set; }

    /// <summary>The decisions (effect, approvals required per provider, each table's decision) as JSON.</summary>
    public required string DecisionJson { get; set; }

    public required string Status { get; set; }

    /// <summary>Production progress, 0 to 100.</summary>
    public int Progress { get; set; }

    /// <summary>When the granted retention ends: the extract expires and its files are purged.</summary>
    public DateTimeOffset RetentionDeadline { get; set; }

    /// <summary>What the clause says happens at the end (<c>delete</c>; <c>anonymise</c> is treated as delete).</summary>
    public required string RetentionEnd { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? ApprovedAt { get; set; }

    public DateTimeOffset? ProducedAt { get; set; }

    public DateTimeOffset? ExpiredAt { get; set; }

    public DateTimeOffset? PurgedAt { get; set; }

    /// <summary><c>expired</c>, or <c>clause-revoked: …</c> for an early purge.</summary>
    public string? PurgeReason { get; set; }

    /// <summary>Marked for purge before its deadline because the contract no longer permits it.</summary>
    public bool EarlyPurge { get; set; }

    public DateTimeOffset? AttestedAt { get; set; }

    public string? AttestedBy { get; set; }

    /// <summary>Why production failed, or why the extract was denied at approval.</summary>
    public string? Failure { get; set; }

    /// <summary>The producer holding the extract (a random token), while it produces.</summary>
    public string? ClaimToken { get; set; }

    /// <summary>When that claim lapses (another run may then redo the production).</summary>
    public DateTimeOffset? ClaimExpiresAt { get; set; }

    /// <summary>Production attempts so far.</summary>
    public int Attempts { get; set; }

    /// <summary>The correlation id of the request, shared by every audit event of the extract.</summary>
    public required string CorrelationId { get; set; }
}

/// <summary>One steward's vote on an extract request (one per steward and extract).</summary>
internal sealed class ExtractApprovalEntity
{
    public required string ExtractId { get; set; }

    public required string StewardSubject { get; set; }

    public required string Organisation { get; set; }

    /// <summary><c>approve</c> or <c>reject</c>.</summary>
    public required string Decision { get; set; }

    public string? Comment { get; set; }

    public DateTimeOffset DecidedAt { get; set; }
}

/// <summary>
/// One produced file of an extract, encrypted with ASP.NET Core Data Protection (purpose
/// <c>DataClauses.Extracts.v1</c>, bound to the extract id). Purging deletes the row.
/// </summary>
internal sealed class ExtractFileEntity
{
    public required string ExtractId { get; set; }

    /// <summary><c>csv</c> or <c>json</c>.</summary>
    public required string Format { get; set; }

    /// <summary>1-based table for a CSV file; 0 for the JSON file (every table).</summary>
    public int TableIndex { get; set; }

    /// <summary>The protected (encrypted and authenticated) bytes.</summary>
    public required byte[] Content { get; set; }

    /// <summary>Hex SHA-256 of the plaintext.</summary>
    public required string Sha256 { get; set; }

    /// <summary>Plaintext size in bytes.</summary>
    public long Size { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
