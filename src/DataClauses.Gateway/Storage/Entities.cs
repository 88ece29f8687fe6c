namespace DataClauses.Gateway.Storage;

/// <summary>An OAuth client (a partner's system). Its secret is stored hashed.</summary>
internal sealed class ClientEntity
{
    public required string ClientId { get; set; }

    public required string OrganisationId { get; set; }

    /// <summary>Roles, space-separated.</summary>
    public required string Roles { get; set; }

    public string? Description { get; set; }

    /// <summary>Hash of the secret (see ClientSecretHasher).</summary>
    public required string SecretHash { get; set; }

    public bool Disabled { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset SecretRotatedAt { get; set; }
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

/// <summary>A Data Protection key ring entry (XML), shared by every replica.</summary>
internal sealed class DataProtectionKeyEntity
{
    public int Id { get; set; }

    public string? FriendlyName { get; set; }

    public required string Xml { get; set; }
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
