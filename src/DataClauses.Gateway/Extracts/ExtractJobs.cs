using System.Globalization;
using System.Threading.Channels;
using DataClauses.Audit;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Queries;
using DataClauses.Gateway.Storage;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Extracts;

/// <summary>Settings of the extract jobs (section <c>DataClauses:Extracts</c>).</summary>
public sealed class ExtractOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "DataClauses:Extracts";

    /// <summary>How often a full pass runs (produce what is approved, expire, purge); zero turns the poll off.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Producers working on approved extracts as soon as they are approved; zero leaves production to the passes. A
    /// production mostly waits for database round trips, so a few producers share a core well (docs/BENCHMARKS.md).
    /// </summary>
    public int Producers { get; set; } = 4;

    /// <summary>How long a producer's claim lasts: after it, another run may redo a production that stopped.</summary>
    public TimeSpan ProductionLease { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>What one pass did.</summary>
/// <param name="Produced">Extracts made ready.</param>
/// <param name="Expired">Extracts whose retention ended.</param>
/// <param name="MarkedForEarlyPurge">Extracts the contract no longer permits.</param>
/// <param name="Purged">Extracts whose files were deleted (and the deletion verified).</param>
/// <param name="PurgeSkipped">True when another replica held the purge lock: this pass purged nothing.</param>
internal sealed record ExtractPass(int Produced, int Expired, int MarkedForEarlyPurge, int Purged, bool PurgeSkipped);

/// <summary>
/// The extract jobs. <b>Production</b>: producers take approved extracts from a queue fed right after each approval
/// (and from every pass, which also picks up productions a crash left behind once their claim lapses); a producer
/// claims the extract with a conditional update and a random token, re-decides every table at the current time, slices
/// each table from its protected cube with the queries' code, renders and encrypts the files, and in one transaction
/// — only if its claim still holds — stores the files, sets <c>ready</c> and audits <c>extract.produced</c>.
/// <b>Retention</b> (each pass, under a PostgreSQL advisory lock so that one replica runs it): every extract that is
/// not yet purged is re-decided at the current time; past its deadline it becomes <c>expired</c>, and if the contract
/// no longer permits it (an amendment revoked the purpose or the clause, the contract ended) it is marked for early
/// purge with the reason; then every expired extract is purged: its files are deleted, the deletion is verified, and
/// the status and <c>extract.purged</c> event are committed with it. Each step is a conditional update in its own
/// transaction, so a pass is idempotent and a crash leaves work that the next pass finishes. Time comes from the
/// injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed partial class ExtractJobs(
    IServiceScopeFactory scopes,
    TimeProvider clock,
    DistributedLock locks,
    ExtractFiles files,
    ExtractCommitter committer,
    IOptions<ExtractOptions> options,
    IOptions<GatewayOptions> gateway,
    ILogger<ExtractJobs> logger) : BackgroundService
{
    /// <summary>The advisory lock of the retention pass.</summary>
    public static readonly long PurgeLock = DistributedLock.KeyOf("extracts", "retention-pass");

    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>();

    /// <summary>
    /// Test hook: called at named points (<c>produce:table</c>, <c>purge:files-deleted</c> inside the purge's
    /// transaction, <c>purge:committed</c> after it) with the extract id; a test throws from it to simulate a crash.
    /// </summary>
    internal Func<string, string, Task>? Checkpoint { get; set; }

    /// <summary>Queues an approved extract for production (after the approval's commit).</summary>
    public void Enqueue(string extractId)
    {
        if (options.Value.Producers > 0)
        {
            _queue.Writer.TryWrite(extractId);
        }
    }

    /// <summary>One full pass: produce what is approved (or abandoned), then expire, early-purge and purge.</summary>
    public async Task<ExtractPass> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var produced = await ProduceDueAsync(cancellationToken);
        var (expired, early, purged, skipped) = await RetentionPassAsync(cancellationToken);
        return new ExtractPass(produced, expired, early, purged, skipped);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var workers = Enumerable.Range(0, options.Value.Producers).Select(_ => ConsumeAsync(stoppingToken)).ToList();
        if (options.Value.PollInterval > TimeSpan.Zero)
        {
            workers.Add(PollAsync(stoppingToken));
        }

        await Task.WhenAll(workers);
    }

    private async Task ConsumeAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var id in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await ProduceAsync(id, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // The extract stays claimed; the next pass redoes it once the claim lapses.
                    LogProductionFailed(logger, ex, id);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task PollAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PollInterval, clock);
        try
        {
            do
            {
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    LogPassFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Produces every approved extract, and those whose producer stopped (claim lapsed).</summary>
    private async Task<int> ProduceDueAsync(CancellationToken cancellationToken)
    {
        List<string> due;
        var now = clock.GetUtcNow();
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            due = await db.Extracts.AsNoTracking()
                .Where(e => e.Status == ExtractStatus.Approved || (e.Status == ExtractStatus.Producing && e.ClaimExpiresAt < now))
                .OrderBy(e => e.CreatedAt).ThenBy(e => e.Id)
                .Select(e => e.Id)
                .ToListAsync(cancellationToken);
        }

        var produced = 0;
        foreach (var id in due)
        {
            if (await ProduceAsync(id, cancellationToken))
            {
                produced++;
            }
        }

        return produced;
    }

    /// <summary>Produces one extract if it can claim it; true when it made it ready.</summary>
    internal async Task<bool> ProduceAsync(string id, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.Source.StartActivity(Telemetry.Spans.ExtractProduction);
        activity?.SetTag("dataclauses.extract", id);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var now = clock.GetUtcNow();
        var token = Extract.NewId();
        var leaseEnd = now + options.Value.ProductionLease;
        var claimed = await db.Extracts
            .Where(e => e.Id == id && (e.Status == ExtractStatus.Approved || (e.Status == ExtractStatus.Producing && e.ClaimExpiresAt < now)))
            .ExecuteUpdateAsync(
                s => s.SetProperty(e => e.Status, ExtractStatus.Producing)
                    .SetProperty(e => e.ClaimToken, token)
                    .SetProperty(e => e.ClaimExpiresAt, leaseEnd)
                    .SetProperty(e => e.Progress, 0)
                    .SetProperty(e => e.Attempts, e => e.Attempts + 1)
                    .SetProperty(e => e.UpdatedAt, now),
                cancellationToken);
        if (claimed == 0)
        {
            return false;
        }

        var extract = await db.Extracts.AsNoTracking().SingleAsync(e => e.Id == id, cancellationToken);
        var tables = Extract.Tables(extract);
        var queries = scope.ServiceProvider.GetRequiredService<QueryService>();
        var requester = Extract.RequesterOf(extract);
        var retention = Extract.RetentionOf(extract);
        var requests = tables.Select(t => t.ToDecisionRequest(requester, PolicyAction.Extract, extract.Purpose, retention)).ToList();
        var decisions = requests.Select(queries.Decide).ToList();
        if (extract.RetentionDeadline <= now)
        {
            await EndClaimedAsync(db, extract, tables, token, "expired", early: false, ExtractAudit.Expired, [], cancellationToken);
            return false;
        }

        if (decisions.Any(d => d.Effect == Effect.Deny))
        {
            var denied = decisions.Where(d => d.Effect == Effect.Deny).SelectMany(d => d.Reasons).ToList();
            await EndClaimedAsync(db, extract, tables, token, "clause-revoked: " + Extract.Summarise(denied), early: true, ExtractAudit.MarkedForEarlyPurge, denied, cancellationToken);
            return false;
        }

        var produced = new List<ProducedTable>(tables.Count);
        for (var i = 0; i < tables.Count; i++)
        {
            var table = tables[i];
            var (opened, problem) = await queries.OpenAsync(decisions[i], table.Dataset, table.Version, cancellationToken);
            if (problem is not null)
            {
                await FailAsync(db, extract, tables, token, $"{table.Dataset}@{table.Version}: {problem.Type}: {problem.Detail}", cancellationToken);
                return false;
            }

            var slice = QuerySlice.Take(opened!.Cube, table.Dimensions, table.Measures, requests[i].Filters);
            produced.Add(new ProducedTable(table, new QueryAnswer(requests[i], decisions[i], opened, slice, extract.CorrelationId)));
            var progress = (i + 1) * 90 / tables.Count;
            await db.Extracts.Where(e => e.Id == id && e.ClaimToken == token)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.Progress, progress), cancellationToken);
            await CheckpointAsync("produce:table", id);
        }

        // Rendering and encryption happen before the transaction (SQLite's write lock is held only to store).
        var plain = ExtractFiles.Render(extract, produced, now);
        var stored = plain.Select(f => new ExtractFileEntity
        {
            ExtractId = id,
            Format = f.Format,
            TableIndex = f.TableIndex,
            Content = files.Protect(id, f.Content),
            Sha256 = f.Sha256,
            Size = f.Content.Length,
            CreatedAt = now,
        }).ToList();

        extract.Status = ExtractStatus.Ready;
        var suppressed = produced.Sum(p => p.Answer.Slice.SuppressedCount);
        var producedEvent = (ExtractAudit.ForJob(ExtractAudit.Produced, "success", extract, tables, now, gateway.Value.NodeId) with
        {
            Effect = Effect.Permit.ToWire(),
            Reasons = ExtractAudit.Reasons(decisions),
            Obligations = QueryAudit.Obligations(decisions[0].Obligations),
            CellsSuppressed = suppressed,
        }).With(
            ("files", string.Join(';', plain.Select(f => $"{f.Format}{(f.TableIndex > 0 ? f.TableIndex.ToString(CultureInfo.InvariantCulture) : string.Empty)}:{f.Sha256}"))),
            ("cellsReturned", produced.Sum(p => p.Answer.Slice.Rows.Count).ToString(CultureInfo.InvariantCulture)),
            ("cubes", string.Join(';', produced.Select(p => p.Answer.Opened.Cube.Key.Fingerprint))),
            ("clauses", string.Join(';', decisions.Select(d => d.Clause!.Id))),
            ("attempt", extract.Attempts.ToString(CultureInfo.InvariantCulture)));

        // Stored only if this producer's claim still holds (another may have taken over after it lapsed, or the
        // extract expired meanwhile), with its event, by group commit with other productions and requests.
        return await committer.CommitAsync(
            async (batch, ct) =>
            {
                var done = await batch.Extracts
                    .Where(e => e.Id == id && e.Status == ExtractStatus.Producing && e.ClaimToken == token)
                    .ExecuteUpdateAsync(
                        s => s.SetProperty(e => e.Status, ExtractStatus.Ready)
                            .SetProperty(e => e.Progress, 100)
                            .SetProperty(e => e.ProducedAt, now)
                            .SetProperty(e => e.ClaimToken, (string?)null)
                            .SetProperty(e => e.ClaimExpiresAt, (DateTimeOffset?)null)
                            .SetProperty(e => e.UpdatedAt, now),
                        ct);
                if (done == 0)
                {
                    return null;
                }

                await batch.ExtractFiles.Where(f => f.ExtractId == id).ExecuteDeleteAsync(ct);
                batch.ExtractFiles.AddRange(stored);
                return [producedEvent];
            },
            cancellationToken);
    }

    /// <summary>Ends a claimed production without files: expired, or marked for early purge (the next pass purges it).</summary>
    private Task<bool> EndClaimedAsync(
        GatewayDbContext db, ExtractEntity extract, IReadOnlyList<ExtractTable> tables, string token, string reason, bool early, string action, IReadOnlyList<Reason> reasons, CancellationToken cancellationToken) =>
        ExpireAsync(
            db,
            db.Extracts.Where(e => e.Id == extract.Id && e.Status == ExtractStatus.Producing && e.ClaimToken == token),
            extract,
            tables,
            new Expiry(reason, early, action, reasons, clock.GetUtcNow(), ("stage", "production")),
            cancellationToken);

    /// <summary>What an expiry records: why, whether early, the audit action and reasons, when, and one detail.</summary>
    private sealed record Expiry(string Reason, bool Early, string Action, IReadOnlyList<Reason> Reasons, DateTimeOffset Now, (string Key, string Value) Detail);

    /// <summary>
    /// Marks the extract expired (files to purge) with its audit event, in one transaction, if <paramref name="match"/>
    /// still finds it: false when it changed meanwhile (approved, produced, claimed by another producer…).
    /// </summary>
    private async Task<bool> ExpireAsync(
        GatewayDbContext db, IQueryable<ExtractEntity> match, ExtractEntity extract, IReadOnlyList<ExtractTable> tables, Expiry expiry, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var changed = await match.ExecuteUpdateAsync(
            s => s.SetProperty(e => e.Status, ExtractStatus.Expired)
                .SetProperty(e => e.ExpiredAt, expiry.Now)
                .SetProperty(e => e.PurgeReason, expiry.Reason)
                .SetProperty(e => e.EarlyPurge, expiry.Early)
                .SetProperty(e => e.ClaimToken, (string?)null)
                .SetProperty(e => e.ClaimExpiresAt, (DateTimeOffset?)null)
                .SetProperty(e => e.UpdatedAt, expiry.Now),
            cancellationToken);
        if (changed == 0)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            return false;
        }

        extract.Status = ExtractStatus.Expired;
        await AuditWriter.AppendAsync(
            db,
            (ExtractAudit.ForJob(expiry.Action, "success", extract, tables, expiry.Now, gateway.Value.NodeId) with
            {
                Effect = expiry.Reasons.Count > 0 ? Effect.Deny.ToWire() : null,
                Reasons = [.. expiry.Reasons.Select(r => new AuditReason(r.Rule, r.ClauseId, r.Subject))],
            }).With(("reason", expiry.Reason), expiry.Detail),
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private async Task FailAsync(GatewayDbContext db, ExtractEntity extract, IReadOnlyList<ExtractTable> tables, string token, string failure, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        failure = failure.Length > 1000 ? failure[..1000] : failure;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var failed = await db.Extracts.Where(e => e.Id == extract.Id && e.Status == ExtractStatus.Producing && e.ClaimToken == token)
            .ExecuteUpdateAsync(
                s => s.SetProperty(e => e.Status, ExtractStatus.Failed)
                    .SetProperty(e => e.Failure, failure)
                    .SetProperty(e => e.ClaimToken, (string?)null)
                    .SetProperty(e => e.ClaimExpiresAt, (DateTimeOffset?)null)
                    .SetProperty(e => e.UpdatedAt, now),
                cancellationToken);
        if (failed == 0)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            return;
        }

        extract.Status = ExtractStatus.Failed;
        await AuditWriter.AppendAsync(db, ExtractAudit.ForJob(ExtractAudit.ProductionFailed, "failure", extract, tables, now, gateway.Value.NodeId).With(("failure", failure)), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Expires, marks for early purge and purges, under the retention lock; skipped when another replica holds it.</summary>
    private async Task<(int Expired, int Early, int Purged, bool Skipped)> RetentionPassAsync(CancellationToken cancellationToken)
    {
        await using var lockScope = scopes.CreateAsyncScope();
        var lockDb = lockScope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        await using var held = await locks.TryAcquireAsync(lockDb, PurgeLock, cancellationToken);
        if (held is null)
        {
            return (0, 0, 0, true);
        }

        var now = clock.GetUtcNow();
        int expired = 0, early = 0, purged = 0;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            var queries = scope.ServiceProvider.GetRequiredService<PolicyDecisions>();
            var live = await db.Extracts.AsNoTracking().Where(e => ExtractStatus.Live.Contains(e.Status)).OrderBy(e => e.CreatedAt).ThenBy(e => e.Id).ToListAsync(cancellationToken);
            foreach (var extract in live)
            {
                var tables = Extract.Tables(extract);
                if (extract.RetentionDeadline <= now)
                {
                    expired += await MarkAsync(db, extract, tables, "expired", early: false, ExtractAudit.Expired, [], now, cancellationToken) ? 1 : 0;
                    continue;
                }

                // Re-decided as first asked, at the current time: an amendment or the contract's end may have revoked it.
                var requester = Extract.RequesterOf(extract);
                var retention = Extract.RetentionOf(extract);
                var denied = tables.Select(t => queries.Decide(t.ToDecisionRequest(requester, PolicyAction.Extract, extract.Purpose, retention)))
                    .Where(d => d.Effect == Effect.Deny)
                    .SelectMany(d => d.Reasons)
                    .ToList();
                if (denied.Count > 0)
                {
                    early += await MarkAsync(db, extract, tables, "clause-revoked: " + Extract.Summarise(denied), early: true, ExtractAudit.MarkedForEarlyPurge, denied, now, cancellationToken) ? 1 : 0;
                }
            }

            var due = await db.Extracts.AsNoTracking().Where(e => e.Status == ExtractStatus.Expired).OrderBy(e => e.ExpiredAt).Select(e => e.Id).ToListAsync(cancellationToken);
            foreach (var id in due)
            {
                if (await PurgeAsync(id, cancellationToken))
                {
                    purged++;
                }
            }
        }

        return (expired, early, purged, false);
    }

    private async Task<bool> MarkAsync(
        GatewayDbContext db, ExtractEntity extract, IReadOnlyList<ExtractTable> tables, string reason, bool early, string action, IReadOnlyList<Reason> reasons, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var from = extract.Status;
        if (!await ExpireAsync(
            db, db.Extracts.Where(e => e.Id == extract.Id && e.Status == from), extract, tables, new Expiry(reason, early, action, reasons, now, ("previousStatus", from)), cancellationToken))
        {
            // Changed meanwhile (approved, produced…): the next pass looks at it again.
            return false;
        }

        if (early)
        {
            LogMarkedForEarlyPurge(logger, extract.Id, reason);
        }

        return true;
    }

    /// <summary>Deletes an expired extract's files and verifies it, with the status and the audit event, in one transaction.</summary>
    private async Task<bool> PurgeAsync(string id, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.Source.StartActivity(Telemetry.Spans.ExtractPurge);
        activity?.SetTag("dataclauses.extract", id);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var taken = await db.Extracts.Where(e => e.Id == id && e.Status == ExtractStatus.Expired)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, ExtractStatus.Purged).SetProperty(e => e.PurgedAt, now).SetProperty(e => e.UpdatedAt, now), cancellationToken);
        if (taken == 0)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            return false;
        }

        var deleted = await db.ExtractFiles.Where(f => f.ExtractId == id).ExecuteDeleteAsync(cancellationToken);
        var remaining = await db.ExtractFiles.CountAsync(f => f.ExtractId == id, cancellationToken);
        if (remaining != 0)
        {
            throw new InvalidOperationException($"Extract {id}: {remaining} file(s) still stored after the purge's delete; nothing is committed.");
        }

        await CheckpointAsync("purge:files-deleted", id);
        var extract = await db.Extracts.AsNoTracking().SingleAsync(e => e.Id == id, cancellationToken);
        var tables = Extract.Tables(extract);
        await AuditWriter.AppendAsync(
            db,
            ExtractAudit.ForJob(ExtractAudit.Purged, "success", extract, tables, now, gateway.Value.NodeId).With(
                ("reason", extract.PurgeReason),
                ("earlyPurge", extract.EarlyPurge ? "true" : "false"),
                ("filesDeleted", deleted.ToString(CultureInfo.InvariantCulture)),
                ("filesRemaining", "0"),
                ("retentionEnd", extract.RetentionEnd)),
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Telemetry.ExtractPurges.Add(1, new KeyValuePair<string, object?>("dataclauses.reason", extract.EarlyPurge ? "clause-revoked" : "expired"));
        await CheckpointAsync("purge:committed", id);
        return true;
    }

    private Task CheckpointAsync(string point, string id) => Checkpoint?.Invoke(point, id) ?? Task.CompletedTask;

    [LoggerMessage(EventId = 6001, Level = LogLevel.Error, Message = "Producing extract {ExtractId} failed; the next pass retries it when its claim lapses")]
    private static partial void LogProductionFailed(ILogger logger, Exception exception, string extractId);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Error, Message = "An extracts pass failed; the next one resumes its work")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Information, Message = "Extract {ExtractId} marked for early purge: {Reason}")]
    private static partial void LogMarkedForEarlyPurge(ILogger logger, string extractId, string reason);
}
