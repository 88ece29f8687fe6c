using System.Globalization;
using DataClauses.Audit;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace DataClauses.Gateway.Queries;

/// <summary>
/// Where protected cubes live: the <c>protected_cubes</c> table. A cube is read back when stored, otherwise built and
/// inserted once: on PostgreSQL under a transaction-scoped advisory lock derived from the cube's key (so that
/// replicas wait for each other and the second finds the first's cube), on SQLite in the single write transaction
/// after an aggregation done outside it (so that the writer lock is not held while the data are read). The insert and
/// its <c>cube.built</c> audit event commit together.
/// </summary>
internal sealed partial class CubeStore(GatewayDbContext db, TimeProvider clock, ILogger<CubeStore> logger)
{
    /// <summary>The audit action of a cube build.</summary>
    public const string BuiltAction = "cube.built";

    /// <summary>The actor of a cube build: the node itself.</summary>
    public const string BuilderSubject = "node:cube-builder";

    /// <summary>The stored cube of a key, or null.</summary>
    public async Task<ProtectedCube?> FindAsync(CubeKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var row = await db.ProtectedCubes.AsNoTracking()
            .Where(c => c.DatasetId == key.DatasetId && c.Version == key.Version && c.ContractId == key.ContractId
                && c.ClauseId == key.ClauseId && c.ClauseAmendment == key.Amendment && c.Fingerprint == key.Fingerprint)
            .Select(c => new { c.Payload, c.BuiltAt })
            .FirstOrDefaultAsync(cancellationToken);
        return row is null ? null : CubePayload.Read(row.Payload, key, row.BuiltAt);
    }

    /// <summary>The stored cube, or a new one built, stored and audited (exactly once across replicas).</summary>
    /// <param name="definition">What the cube is made of.</param>
    /// <param name="version">The version whose rows are aggregated.</param>
    /// <param name="trigger">An event of the request that first needed the cube (actor, correlation id).</param>
    /// <param name="cancellationToken">Stops the work (the application stopping, not a request).</param>
    public async Task<ProtectedCube> LoadOrBuildAsync(CubeDefinition definition, PublishedVersion version, AuditEvent trigger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(version);
        var key = definition.KeyFor(version.Version);
        if (await FindAsync(key, cancellationToken) is { } stored)
        {
            LogLoaded(logger, key.DatasetId, key.Version, key.ClauseId, stored.CellCount);
            return stored;
        }

        using var activity = Telemetry.Source.StartActivity(Telemetry.Spans.CubeBuild);
        activity?.SetTag("dataclauses.dataset", key.DatasetId);
        activity?.SetTag("dataclauses.clause", key.ClauseId);
        var started = clock.GetTimestamp();
        ProtectedCube? built = null;
        if (!db.IsPostgreSql)
        {
            // SQLite: read and protect outside the write lock; the write transaction below re-checks before inserting.
            built = await CubeBuilder.BuildAsync(db, definition, version, Now(), cancellationToken);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await DistributedLock.AcquireForTransactionAsync(db, DistributedLock.KeyOf("protected-cube", key.Text), cancellationToken);
        if (await FindAsync(key, cancellationToken) is { } meanwhile)
        {
            // Another replica (or process) built it while this one waited for the lock.
            LogLoaded(logger, key.DatasetId, key.Version, key.ClauseId, meanwhile.CellCount);
            return meanwhile;
        }

        built ??= await CubeBuilder.BuildAsync(db, definition, version, Now(), cancellationToken);
        db.ProtectedCubes.Add(new ProtectedCubeEntity
        {
            DatasetId = key.DatasetId,
            Version = key.Version,
            ContractId = key.ContractId,
            ClauseId = key.ClauseId,
            ClauseAmendment = key.Amendment,
            Fingerprint = key.Fingerprint,
            Definition = definition.Json,
            BuiltAt = built.BuiltAt,
            CellCount = built.CellCount,
            PrimaryCount = built.PrimaryCount,
            SecondaryCount = built.SecondaryCount,
            Payload = CubePayload.Write(built),
        });
        await db.SaveChangesAsync(cancellationToken);
        var elapsed = clock.GetElapsedTime(started);
        await AuditWriter.AppendAsync(db, BuiltEvent(trigger, definition, built, elapsed), cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        Telemetry.CubeBuilds.Add(1, new KeyValuePair<string, object?>("dataclauses.dataset", key.DatasetId));
        LogBuilt(logger, key.DatasetId, key.Version, key.ClauseId, built.CellCount, built.PrimaryCount, built.SecondaryCount, (long)elapsed.TotalMilliseconds);
        return built;
    }

    /// <summary>Now, to the millisecond: what PostgreSQL (microseconds) and SQLite (ticks) both store exactly, so a cube read back says the same.</summary>
    private DateTimeOffset Now()
    {
        var now = clock.GetUtcNow();
        return new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    /// <summary>
    /// The build is the node's act, not the requester's: the event's actor is the node, so that only the provider's DPO
    /// (the data owner) sees the split of primary and secondary cells — the requester's organisation would learn from it
    /// what the single secret mark hides (ADR 0006). The correlation id and <c>requestedBy</c> still name the request.
    /// </summary>
    private AuditEvent BuiltEvent(AuditEvent trigger, CubeDefinition definition, ProtectedCube cube, TimeSpan elapsed)
    {
        var details = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["contract"] = cube.Key.ContractId,
            ["clause"] = cube.Key.ClauseId,
            ["amendment"] = cube.Key.Amendment.ToString(CultureInfo.InvariantCulture),
            ["fingerprint"] = cube.Key.Fingerprint,
            ["cells"] = cube.CellCount.ToString(CultureInfo.InvariantCulture),
            ["primaries"] = cube.PrimaryCount.ToString(CultureInfo.InvariantCulture),
            ["secondaries"] = cube.SecondaryCount.ToString(CultureInfo.InvariantCulture),
            ["durationMs"] = ((long)elapsed.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            ["requestedBy"] = trigger.Actor.Subject,
        };
        if (definition.Linked is { } linked)
        {
            // The DPO sees which clauses' cubes this one was protected with (ADR 0004, "Linked tables").
            details["linkedClauses"] = string.Join(' ', linked.Clauses);
        }

        return trigger with
        {
            Action = BuiltAction,
            Actor = new AuditActor(BuilderSubject, null, []),
            Outcome = "success",
            Timestamp = clock.GetUtcNow(),
            DataOwner = definition.Provider,
            Dataset = cube.Key.DatasetId,
            Version = cube.Key.Version,
            Purpose = null,
            Effect = null,
            Reasons = [],
            CellsSuppressed = cube.PrimaryCount + cube.SecondaryCount,
            Details = details,
        };
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Built the protected cube of {Dataset} {Version} under clause {Clause}: {Cells} cells, {Primaries} primary and {Secondaries} secondary suppressions in {DurationMs} ms")]
    private static partial void LogBuilt(ILogger logger, string dataset, string version, string clause, int cells, int primaries, int secondaries, long durationMs);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "Loaded the stored protected cube of {Dataset} {Version} under clause {Clause} ({Cells} cells)")]
    private static partial void LogLoaded(ILogger logger, string dataset, string version, string clause, int cells);
}
