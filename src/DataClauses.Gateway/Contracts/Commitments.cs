using System.Globalization;
using DataClauses.Audit;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Storage;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Contracts;

/// <summary>
/// The publication commitments of a contract compared with what was published, by reference period
/// (<see cref="PublicationSchedule"/>): one line per clause in force that promises a frequency. A period past its due
/// date without a version raises one <c>commitment.late</c> audit event (once per clause and period, whoever or
/// whatever noticed it first: a page, the API, the report or the hourly maintenance pass).
/// </summary>
internal sealed partial class Commitments(
    IServiceScopeFactory scopes,
    ContractCatalog contracts,
    DistributedLock locks,
    TimeProvider clock,
    IOptions<GatewayOptions> options,
    ILogger<Commitments> logger)
{
    /// <summary>The audit action of a late commitment's alert.</summary>
    public const string LateAction = "commitment.late";

    /// <summary>Where every commitment of <paramref name="contract"/> stands today; raises the alerts not yet raised.</summary>
    public async Task<IReadOnlyList<CommitmentStatus>> EvaluateAsync(Contract contract, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contract);
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var clauses = contract.ClausesAt(today < contract.End ? today : contract.End).Where(c => c.Publication is not null).ToList();
        if (clauses.Count == 0)
        {
            return [];
        }

        var datasets = clauses.Select(c => c.Dataset).Distinct(StringComparer.Ordinal).ToList();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var versions = (await db.DatasetVersions.AsNoTracking()
                .Where(v => datasets.Contains(v.DatasetId))
                .Select(v => new { v.DatasetId, v.Version, v.PublishedAt })
                .ToListAsync(cancellationToken))
            .ToLookup(v => v.DatasetId, v => new PublishedVersionFact(v.Version, v.PublishedAt), StringComparer.Ordinal);
        var statuses = clauses
            .Select(c => PublicationSchedule.Evaluate(c, PublicationSchedule.InForceSince(contract, c.Id) ?? contract.Start, contract.End, versions[c.Dataset], today))
            .ToList();
        await RaiseAlertsAsync(db, scope.ServiceProvider.GetRequiredService<AuditService>(), contract, statuses, today, cancellationToken);
        return statuses;
    }

    /// <summary>Evaluates every contract in force (the maintenance pass: alerts are raised even when nobody looks).</summary>
    public async Task<int> CheckAllAsync(CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var late = 0;
        foreach (var contract in contracts.Contracts.Contracts.Where(c => c.IsInForce(today)))
        {
            late += (await EvaluateAsync(contract, cancellationToken)).Count(s => s.State != CommitmentState.UpToDate);
        }

        return late;
    }

    private async Task RaiseAlertsAsync(GatewayDbContext db, AuditService audit, Contract contract, List<CommitmentStatus> statuses, DateOnly today, CancellationToken cancellationToken)
    {
        var missing = statuses.SelectMany(s => s.Periods.Where(p => p.State == PeriodState.Missing).Select(p => (Status: s, Period: p))).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        // One raiser at a time (per contract, across replicas); a request that finds the lock taken leaves the work to
        // its holder or to the next evaluation.
        await using var held = await locks.TryAcquireAsync(db, DistributedLock.KeyOf("commitments", contract.Id), cancellationToken);
        if (held is null)
        {
            return;
        }

        var datasets = missing.Select(m => m.Status.Clause.Dataset).Distinct(StringComparer.Ordinal).ToList();
        var raised = new HashSet<(string Clause, string PeriodEnd)>();
        await foreach (var canonical in db.AuditEvents.AsNoTracking()
                           .Where(e => e.Action == LateAction && e.Dataset != null && datasets.Contains(e.Dataset))
                           .Select(e => e.Canonical).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            var e = AuditCanonicalForm.Read(canonical).Event;
            if (e.Details.GetValueOrDefault("contract") == contract.Id && e.Details.TryGetValue("clause", out var clause) && e.Details.TryGetValue("periodEnd", out var end))
            {
                raised.Add((clause, end));
            }
        }

        foreach (var (status, period) in missing)
        {
            var end = Day(period.End);
            if (!raised.Add((status.Clause.Id, end)))
            {
                continue;
            }

            var clause = status.Clause;
            await audit.RecordAsync(audit.Create(LateAction, "failure") with
            {
                // The gateway itself notices, whoever's request made it look.
                Actor = new AuditActor("dataclauses:" + options.Value.NodeId, null, []),
                DataOwner = clause.Provider,
                Dataset = clause.Dataset,
                Details = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["contract"] = contract.Id,
                    ["clause"] = clause.Id,
                    ["frequency"] = clause.Publication!.Frequency.ToString(),
                    ["periodStart"] = Day(period.Start),
                    ["periodEnd"] = end,
                    ["due"] = Day(period.Due),
                    ["daysLate"] = (today.DayNumber - period.Due.DayNumber).ToString(CultureInfo.InvariantCulture),
                },
            }, cancellationToken);
            LogLate(logger, contract.Id, clause.Id, end, Day(period.Due));
        }
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 2301, Level = LogLevel.Warning, Message = "Publication commitment late: contract {Contract}, clause {Clause}, period ending {PeriodEnd}, due {Due}")]
    private static partial void LogLate(ILogger logger, string contract, string clause, string periodEnd, string due);
}
