using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace DataClauses.Gateway.Storage;

/// <summary>
/// The gateway's metadata: clients, users, signing keys, datasets and versions, audit, protected cubes, extracts. Dataset rows live in
/// typed tables created per version (see the Catalog feature), not in this model.
/// </summary>
internal abstract class GatewayDbContext(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<ClientEntity> Clients => Set<ClientEntity>();

    public DbSet<UserEntity> Users => Set<UserEntity>();

    public DbSet<SigningKeyEntity> SigningKeys => Set<SigningKeyEntity>();

    /// <summary>The Data Protection key ring, shared by every replica (PersistKeysToDbContext).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<DatasetEntity> Datasets => Set<DatasetEntity>();

    public DbSet<DatasetVersionEntity> DatasetVersions => Set<DatasetVersionEntity>();

    public DbSet<AuditEventEntity> AuditEvents => Set<AuditEventEntity>();

    public DbSet<AuditCheckpointEntity> AuditCheckpoints => Set<AuditCheckpointEntity>();

    public DbSet<ProtectedCubeEntity> ProtectedCubes => Set<ProtectedCubeEntity>();

    public DbSet<ExtractEntity> Extracts => Set<ExtractEntity>();

    public DbSet<ExtractApprovalEntity> ExtractApprovals => Set<ExtractApprovalEntity>();

    public DbSet<ExtractFileEntity> ExtractFiles => Set<ExtractFileEntity>();

    /// <summary>True on PostgreSQL, false on SQLite.</summary>
    public abstract bool IsPostgreSql { get; }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        // OpenIddict's applications, authorizations, scopes and tokens (tables created by migration 5).
        modelBuilder.UseOpenIddict();

        modelBuilder.Entity<ClientEntity>(e =>
        {
            e.ToTable("clients");
            e.HasKey(x => x.ClientId);
            e.Property(x => x.ClientId).HasColumnName("client_id").HasMaxLength(100);
            e.Property(x => x.OrganisationId).HasColumnName("organisation_id").HasMaxLength(100);
            e.Property(x => x.Roles).HasColumnName("roles").HasMaxLength(200);
            e.Property(x => x.Description).HasColumnName("description").HasMaxLength(500);
            e.Property(x => x.Disabled).HasColumnName("disabled");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.SecretRotatedAt).HasColumnName("secret_rotated_at");
            e.Property(x => x.Person).HasColumnName("person").HasMaxLength(200);
            e.Property(x => x.CreatedBy).HasColumnName("created_by").HasMaxLength(200);
            e.Property(x => x.ConfirmedBy).HasColumnName("confirmed_by").HasMaxLength(200);
            e.HasIndex(x => x.OrganisationId);
        });

        modelBuilder.Entity<UserEntity>(e =>
        {
            e.ToTable("users");
            e.HasKey(x => x.UserName);
            e.Property(x => x.UserName).HasColumnName("user_name").HasMaxLength(100);
            e.Property(x => x.OrganisationId).HasColumnName("organisation_id").HasMaxLength(100);
            e.Property(x => x.Roles).HasColumnName("roles").HasMaxLength(200);
            e.Property(x => x.DisplayName).HasColumnName("display_name").HasMaxLength(200);
            e.Property(x => x.PasswordHash).HasColumnName("password_hash").HasMaxLength(500);
            e.Property(x => x.FailedAttempts).HasColumnName("failed_attempts");
            e.Property(x => x.LockoutEnd).HasColumnName("lockout_end");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });

        modelBuilder.Entity<SigningKeyEntity>(e =>
        {
            e.ToTable("signing_keys");
            e.HasKey(x => x.KeyId);
            e.Property(x => x.KeyId).HasColumnName("key_id").HasMaxLength(100);
            e.Property(x => x.Algorithm).HasColumnName("algorithm").HasMaxLength(20);
            e.Property(x => x.ProtectedPrivateKey).HasColumnName("protected_private_key");
            e.Property(x => x.PublicJwk).HasColumnName("public_jwk");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.ActivatesAt).HasColumnName("activates_at");
            e.Property(x => x.RetiresAt).HasColumnName("retires_at");
            e.Property(x => x.ExpiresAt).HasColumnName("expires_at");
        });

        modelBuilder.Entity<DataProtectionKey>(e =>
        {
            e.ToTable(Migrations.DataProtectionKeysSchema.Table);
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.FriendlyName).HasColumnName("friendly_name").HasMaxLength(200);
            e.Property(x => x.Xml).HasColumnName("xml");
        });

        modelBuilder.Entity<DatasetEntity>(e =>
        {
            e.ToTable("datasets");
            e.HasKey(x => x.DatasetId);
            e.Property(x => x.DatasetId).HasColumnName("dataset_id").HasMaxLength(100);
            e.Property(x => x.ContractId).HasColumnName("contract_id").HasMaxLength(100);
            e.Property(x => x.ProviderId).HasColumnName("provider_id").HasMaxLength(100);
            e.Property(x => x.Title).HasColumnName("title").HasMaxLength(500);
            e.Property(x => x.SchemaJson).HasColumnName("schema_json");
            e.Property(x => x.UnitIdKey).HasColumnName("unit_id_key").HasMaxLength(200);
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
            e.Property(x => x.DeclaredBy).HasColumnName("declared_by").HasMaxLength(200);
        });

        modelBuilder.Entity<DatasetVersionEntity>(e =>
        {
            e.ToTable("dataset_versions");
            e.HasKey(x => new { x.DatasetId, x.Version });
            e.Property(x => x.DatasetId).HasColumnName("dataset_id").HasMaxLength(100);
            e.Property(x => x.Version).HasColumnName("version").HasMaxLength(64);
            e.Property(x => x.TableName).HasColumnName("table_name").HasMaxLength(63);
            e.Property(x => x.RowCount).HasColumnName("row_count");
            e.Property(x => x.ContentSha256).HasColumnName("content_sha256").HasMaxLength(64);
            e.Property(x => x.SchemaJson).HasColumnName("schema_json");
            e.Property(x => x.PublishedAt).HasColumnName("published_at");
            e.Property(x => x.PublishedBy).HasColumnName("published_by").HasMaxLength(200);
            e.HasIndex(x => x.TableName).IsUnique();
        });

        modelBuilder.Entity<AuditEventEntity>(e =>
        {
            e.ToTable("audit_events");
            e.HasKey(x => x.Sequence);
            e.Property(x => x.Sequence).HasColumnName("sequence").ValueGeneratedNever();
            e.Property(x => x.Timestamp).HasColumnName("event_time");
            e.Property(x => x.Action).HasColumnName("action").HasMaxLength(100);
            e.Property(x => x.Outcome).HasColumnName("outcome").HasMaxLength(20);
            e.Property(x => x.ActorSubject).HasColumnName("actor_subject").HasMaxLength(200);
            e.Property(x => x.ActorOrganisation).HasColumnName("actor_organisation").HasMaxLength(100);
            e.Property(x => x.DataOwner).HasColumnName("data_owner").HasMaxLength(100);
            e.Property(x => x.Dataset).HasColumnName("dataset").HasMaxLength(100);
            e.Property(x => x.Purpose).HasColumnName("purpose").HasMaxLength(100);
            e.Property(x => x.Effect).HasColumnName("effect").HasMaxLength(30);
            e.Property(x => x.CorrelationId).HasColumnName("correlation_id").HasMaxLength(100);
            e.Property(x => x.NodeId).HasColumnName("node_id").HasMaxLength(100);
            e.Property(x => x.Canonical).HasColumnName("canonical");
            e.Property(x => x.PreviousHash).HasColumnName("previous_hash").HasMaxLength(64);
            e.Property(x => x.Hash).HasColumnName("hash").HasMaxLength(64);
            e.HasIndex(x => x.Timestamp);
            e.HasIndex(x => x.ActorOrganisation);
            e.HasIndex(x => x.DataOwner);
            e.HasIndex(x => x.Dataset);
        });

        modelBuilder.Entity<AuditCheckpointEntity>(e =>
        {
            e.ToTable("audit_checkpoints");
            e.HasKey(x => x.Sequence);
            e.Property(x => x.Sequence).HasColumnName("sequence").ValueGeneratedNever();
            e.Property(x => x.Hash).HasColumnName("hash").HasMaxLength(64);
            e.Property(x => x.NodeId).HasColumnName("node_id").HasMaxLength(100);
            e.Property(x => x.KeyId).HasColumnName("key_id").HasMaxLength(100);
            e.Property(x => x.SignedAt).HasColumnName("signed_at");
            e.Property(x => x.Signature).HasColumnName("signature").HasMaxLength(200);
            e.Property(x => x.Kind).HasColumnName("kind").HasMaxLength(20);
        });

        modelBuilder.Entity<ProtectedCubeEntity>(e =>
        {
            e.ToTable("protected_cubes");
            e.HasKey(x => new { x.DatasetId, x.Version, x.ContractId, x.ClauseId, x.ClauseAmendment, x.Fingerprint });
            e.Property(x => x.DatasetId).HasColumnName("dataset_id").HasMaxLength(100);
            e.Property(x => x.Version).HasColumnName("version").HasMaxLength(64);
            e.Property(x => x.ContractId).HasColumnName("contract_id").HasMaxLength(100);
            e.Property(x => x.ClauseId).HasColumnName("clause_id").HasMaxLength(100);
            e.Property(x => x.ClauseAmendment).HasColumnName("clause_amendment");
            e.Property(x => x.Fingerprint).HasColumnName("fingerprint").HasMaxLength(64);
            e.Property(x => x.Definition).HasColumnName("definition");
            e.Property(x => x.BuiltAt).HasColumnName("built_at");
            e.Property(x => x.CellCount).HasColumnName("cell_count");
            e.Property(x => x.PrimaryCount).HasColumnName("primary_count");
            e.Property(x => x.SecondaryCount).HasColumnName("secondary_count");
            e.Property(x => x.Payload).HasColumnName("payload");
        });

        modelBuilder.Entity<ExtractEntity>(e =>
        {
            e.ToTable("extracts");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").HasMaxLength(32);
            e.Property(x => x.RequesterSubject).HasColumnName("requester_subject").HasMaxLength(200);
            e.Property(x => x.RequesterClientId).HasColumnName("requester_client_id").HasMaxLength(100);
            e.Property(x => x.RequesterOrganisation).HasColumnName("requester_organisation").HasMaxLength(100);
            e.Property(x => x.RequesterRoles).HasColumnName("requester_roles").HasMaxLength(200);
            e.Property(x => x.Providers).HasColumnName("providers");
            e.Property(x => x.Purpose).HasColumnName("purpose").HasMaxLength(100);
            e.Property(x => x.Justification).HasColumnName("justification");
            e.Property(x => x.RequestedRetention).HasColumnName("requested_retention").HasMaxLength(50);
            e.Property(x => x.TablesJson).HasColumnName("tables_json");
            e.Property(x => x.DecisionJson).HasColumnName("decision_json");
            e.Property(x => x.Status).HasColumnName("status").HasMaxLength(30);
            e.Property(x => x.Progress).HasColumnName("progress");
            e.Property(x => x.RetentionDeadline).HasColumnName("retention_deadline");
            e.Property(x => x.RetentionEnd).HasColumnName("retention_end").HasMaxLength(20);
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
            e.Property(x => x.ApprovedAt).HasColumnName("approved_at");
            e.Property(x => x.ProducedAt).HasColumnName("produced_at");
            e.Property(x => x.ExpiredAt).HasColumnName("expired_at");
            e.Property(x => x.PurgedAt).HasColumnName("purged_at");
            e.Property(x => x.PurgeReason).HasColumnName("purge_reason").HasMaxLength(1000);
            e.Property(x => x.EarlyPurge).HasColumnName("early_purge");
            e.Property(x => x.AttestedAt).HasColumnName("attested_at");
            e.Property(x => x.AttestedBy).HasColumnName("attested_by").HasMaxLength(200);
            e.Property(x => x.Failure).HasColumnName("failure").HasMaxLength(1000);
            e.Property(x => x.ClaimToken).HasColumnName("claim_token").HasMaxLength(32);
            e.Property(x => x.ClaimExpiresAt).HasColumnName("claim_expires_at");
            e.Property(x => x.Attempts).HasColumnName("attempts");
            e.Property(x => x.CorrelationId).HasColumnName("correlation_id").HasMaxLength(100);
            e.HasIndex(x => new { x.Status, x.RetentionDeadline });
            e.HasIndex(x => x.RequesterSubject);
            e.HasIndex(x => x.RequesterOrganisation);
        });

        modelBuilder.Entity<ExtractApprovalEntity>(e =>
        {
            e.ToTable("extract_approvals");
            e.HasKey(x => new { x.ExtractId, x.StewardSubject });
            e.Property(x => x.ExtractId).HasColumnName("extract_id").HasMaxLength(32);
            e.Property(x => x.StewardSubject).HasColumnName("steward_subject").HasMaxLength(200);
            e.Property(x => x.Organisation).HasColumnName("organisation").HasMaxLength(100);
            e.Property(x => x.Decision).HasColumnName("decision").HasMaxLength(20);
            e.Property(x => x.Comment).HasColumnName("comment");
            e.Property(x => x.DecidedAt).HasColumnName("decided_at");
            e.HasOne<ExtractEntity>().WithMany().HasForeignKey(x => x.ExtractId);
        });

        modelBuilder.Entity<ExtractFileEntity>(e =>
        {
            e.ToTable("extract_files");
            e.HasKey(x => new { x.ExtractId, x.Format, x.TableIndex });
            e.Property(x => x.ExtractId).HasColumnName("extract_id").HasMaxLength(32);
            e.Property(x => x.Format).HasColumnName("format").HasMaxLength(10);
            e.Property(x => x.TableIndex).HasColumnName("table_index");
            e.Property(x => x.Content).HasColumnName("content");
            e.Property(x => x.Sha256).HasColumnName("sha256").HasMaxLength(64);
            e.Property(x => x.Size).HasColumnName("size");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.HasOne<ExtractEntity>().WithMany().HasForeignKey(x => x.ExtractId);
        });
    }
}

/// <summary>The SQLite flavour (its own migrations).</summary>
internal sealed class SqliteGatewayDbContext(DbContextOptions<SqliteGatewayDbContext> options) : GatewayDbContext(options)
{
    public override bool IsPostgreSql => false;

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot order or compare DateTimeOffset values; store instants as UTC ticks.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
    }
}

/// <summary>Stores an instant as its UTC ticks (SQLite).</summary>
internal sealed class UtcTicksConverter() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTimeOffset, long>(
    v => v.UtcTicks,
    v => new DateTimeOffset(v, TimeSpan.Zero));

/// <summary>The PostgreSQL flavour (its own migrations).</summary>
internal sealed class PostgresGatewayDbContext(DbContextOptions<PostgresGatewayDbContext> options) : GatewayDbContext(options)
{
    public override bool IsPostgreSql => true;
}
