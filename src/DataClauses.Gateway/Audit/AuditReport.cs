using System.Globalization;
using DataClauses.Audit;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Storage;
using DataClauses.Policy.Engine;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Audit;

/// <summary>The ethics-label report of one organisation over a period (docs/audit.md, "The report").</summary>
internal sealed record AuditReport(
    string Organisation,
    string? OrganisationName,
    string NodeId,
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset GeneratedAt,
    long EventsInScope,
    IReadOnlyList<AccessLine> Accesses,
    IReadOnlyList<EffectLine> Decisions,
    IReadOnlyList<ReasonLine> DenialReasons,
    ExtractSummary Extracts,
    SuppressionSummary CellsSuppressed,
    IReadOnlyList<CommitmentLine> Publications,
    ChainStatus Chain,
    IReadOnlyList<ReportAlert> Alerts);

/// <summary>Accesses to one dataset for one purpose through one action.</summary>
internal sealed record AccessLine(string? Dataset, string? DataOwner, string? Purpose, string Action, long Count, int Actors);

/// <summary>Decisions of one effect.</summary>
internal sealed record EffectLine(string Effect, long Count);

/// <summary>A reason of denials: rule and clause.</summary>
internal sealed record ReasonLine(string Rule, string? Clause, long Count);

/// <summary>Extract events by action, and the extracts whose retention ended without a deletion attestation.</summary>
internal sealed record ExtractSummary(IReadOnlyDictionary<string, long> Counts, IReadOnlyList<UnattestedExtract> ExpiredUnattested);

/// <summary>A downloaded extract past its retention deadline whose deletion nobody attested.</summary>
internal sealed record UnattestedExtract(string Extract, string? Dataset, string? Requester, string? RequesterOrganisation, DateTimeOffset RetentionDeadline, int Downloads);

/// <summary>Cells suppressed in protected answers.</summary>
internal sealed record SuppressionSummary(long Total, IReadOnlyList<DatasetCells> ByDataset);

/// <summary>Cells suppressed in the answers about one dataset.</summary>
internal sealed record DatasetCells(string? Dataset, long Cells, long Answers);

/// <summary>A clause's publication commitment and whether it is met (by reference period: <see cref="Contracts.Commitments"/>).</summary>
internal sealed record CommitmentLine(string Contract, string Clause, string Dataset, string Frequency, DateTimeOffset? LastPublishedAt, DateTimeOffset DueAt, string Status, int PublishedInPeriod)
{
    /// <summary>Days since the oldest missed due date (0 unless late).</summary>
    public int DaysLate { get; init; }

    /// <summary>Reference periods past their due date without a version.</summary>
    public int MissingPeriods { get; init; }
}

/// <summary>The chain's verification when the report was made.</summary>
internal sealed record ChainStatus(
    bool Intact, long EventsChecked, int CheckpointsChecked, long? FirstBadSequence, string? Problem, string? Detail, long HeadSequence,
    long? LastCheckpointSequence, DateTimeOffset? LastCheckpointAt, long? AnchorSequence);

/// <summary>Something worth a DPO's attention.</summary>
internal sealed record ReportAlert(string Kind, string? Actor, string? Dataset, DateTimeOffset From, DateTimeOffset To, long Count, string Message);

/// <summary>
/// Builds the report from the audit log alone (the events the organisation's DPO may see), the contracts' publication
/// commitments and the published versions (through <see cref="Contracts.Commitments"/>).
/// </summary>
internal sealed class AuditReportBuilder(
    GatewayDbContext db,
    ContractCatalog contracts,
    Commitments commitments,
    TimeProvider clock,
    IOptions<GatewayOptions> options)
{
    /// <summary>Actions that read data (or protected aggregates of it).</summary>
    public static readonly string[] AccessActions = ["query.answered", "indicator.answered", "dataset.read", "extract.downloaded"];

    private static readonly string[] AnswerActions = ["query.answered", "indicator.answered"];

    public async Task<AuditReport> BuildAsync(string organisation, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var asOf = to < now ? to : now;
        var alerts = options.Value.Audit.Alerts;

        var accesses = new Dictionary<(string?, string?, string?, string), (long Count, HashSet<string> Actors)>();
        var effects = new Dictionary<string, long>(StringComparer.Ordinal);
        var reasons = new Dictionary<(string, string?), long>();
        var extractCounts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var cells = new Dictionary<string, (long Cells, long Answers)>(StringComparer.Ordinal);
        var denials = new List<AuditEvent>();
        var answers = new List<AuditEvent>();
        var downloads = new List<AuditEvent>();
        long inScope = 0;
        long suppressedTotal = 0;

        await foreach (var canonical in Visible(db, organisation).Where(e => e.Timestamp >= from && e.Timestamp < to).OrderBy(e => e.Sequence).Select(e => e.Canonical).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            var e = AuditCanonicalForm.Read(canonical).Event;
            inScope++;
            if (AccessActions.Contains(e.Action, StringComparer.Ordinal))
            {
                var key = (e.Dataset, e.DataOwner, e.Purpose, e.Action);
                var line = accesses.TryGetValue(key, out var found) ? found : (0, new HashSet<string>(StringComparer.Ordinal));
                line.Actors.Add(e.Actor.Subject);
                accesses[key] = (line.Count + 1, line.Actors);
            }

            if (e.Effect is { } effect)
            {
                effects[effect] = effects.GetValueOrDefault(effect) + 1;
            }

            if (IsDenial(e))
            {
                denials.Add(e);
                foreach (var reason in e.Reasons)
                {
                    reasons[(reason.Rule, reason.Clause)] = reasons.GetValueOrDefault((reason.Rule, reason.Clause)) + 1;
                }
            }

            if (e.Action.StartsWith("extract.", StringComparison.Ordinal))
            {
                extractCounts[e.Action] = extractCounts.GetValueOrDefault(e.Action) + 1;
            }

            if (string.Equals(e.Action, "extract.downloaded", StringComparison.Ordinal))
            {
                downloads.Add(e);
            }

            if (AnswerActions.Contains(e.Action, StringComparer.Ordinal))
            {
                answers.Add(e);
                var suppressed = e.CellsSuppressed ?? 0;
                suppressedTotal += suppressed;
                var datasetKey = e.Dataset ?? string.Empty;
                var current = cells.GetValueOrDefault(datasetKey);
                cells[datasetKey] = (current.Cells + suppressed, current.Answers + 1);
            }
        }

        var unattested = await ExpiredUnattestedAsync(organisation, to, asOf, cancellationToken);
        var publications = await CommitmentsAsync(organisation, from, to, cancellationToken);
        var chain = await ChainStatusAsync(cancellationToken);

        var alertList = new List<ReportAlert>();
        alertList.AddRange(DenialBursts(denials, alerts));
        alertList.AddRange(SliceBursts(answers, alerts));
        alertList.AddRange(AfterHours(downloads, alerts));
        alertList.AddRange(publications.Where(c => c.Status == "late").Select(c => new ReportAlert(
            "publication-overdue", null, c.Dataset, c.DueAt, asOf, c.MissingPeriods,
            string.Create(CultureInfo.InvariantCulture, $"Engagement de publication en retard de {c.DaysLate} jour(s) : {c.Dataset} (clause {c.Clause}, fréquence {c.Frequency}), {c.MissingPeriods} période(s) de référence sans version, la plus ancienne attendue le {c.DueAt:yyyy-MM-dd}."))));
        if (!chain.Intact)
        {
            alertList.Insert(0, new ReportAlert("chain-broken", null, null, asOf, asOf, 1,
                string.Create(CultureInfo.InvariantCulture, $"Le journal d'audit n'est pas intègre : {chain.Problem} à l'événement {chain.FirstBadSequence}.")));
        }

        return new AuditReport(
            organisation,
            contracts.FindOrganisation(organisation)?.Name,
            options.Value.NodeId,
            from,
            to,
            now,
            inScope,
            [.. accesses.Select(a => new AccessLine(a.Key.Item1, a.Key.Item2, a.Key.Item3, a.Key.Item4, a.Value.Count, a.Value.Actors.Count))
                .OrderBy(a => a.Dataset, StringComparer.Ordinal).ThenBy(a => a.Purpose, StringComparer.Ordinal).ThenBy(a => a.Action, StringComparer.Ordinal)],
            [.. effects.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => new EffectLine(e.Key, e.Value))],
            [.. reasons.OrderByDescending(r => r.Value).ThenBy(r => r.Key.Item1, StringComparer.Ordinal).ThenBy(r => r.Key.Item2, StringComparer.Ordinal).Take(10)
                .Select(r => new ReasonLine(r.Key.Item1, r.Key.Item2, r.Value))],
            new ExtractSummary(extractCounts, unattested),
            new SuppressionSummary(suppressedTotal, [.. cells.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new DatasetCells(c.Key.Length == 0 ? null : c.Key, c.Value.Cells, c.Value.Answers))]),
            publications,
            chain,
            alertList);
    }

    /// <summary>The events a DPO of <paramref name="organisation"/> may see: about its datasets, or by its users and clients.</summary>
    public static IQueryable<AuditEventEntity> Visible(GatewayDbContext db, string organisation) =>
        db.AuditEvents.AsNoTracking().Where(e => e.DataOwner == organisation || e.ActorOrganisation == organisation);

    private static bool IsDenial(AuditEvent e) =>
        string.Equals(e.Effect, "deny", StringComparison.Ordinal) || string.Equals(e.Outcome, "denied", StringComparison.Ordinal);

    /// <summary>Downloaded extracts past their retention deadline whose deletion nobody attested (all extract events up to <paramref name="to"/>).</summary>
    private async Task<List<UnattestedExtract>> ExpiredUnattestedAsync(string organisation, DateTimeOffset to, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        var extracts = new Dictionary<string, (AuditEvent Last, DateTimeOffset? Deadline, int Downloads, bool Attested)>(StringComparer.Ordinal);
        await foreach (var canonical in Visible(db, organisation).Where(e => e.Timestamp < to && EF.Functions.Like(e.Action, "extract.%")).OrderBy(e => e.Sequence).Select(e => e.Canonical).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            var e = AuditCanonicalForm.Read(canonical).Event;
            if (!e.Details.TryGetValue("extract", out var id))
            {
                continue;
            }

            var state = extracts.GetValueOrDefault(id);
            var deadline = e.Details.TryGetValue("retentionDeadline", out var text)
                && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : state.Deadline;
            extracts[id] = (e, deadline,
                state.Downloads + (string.Equals(e.Action, "extract.downloaded", StringComparison.Ordinal) ? 1 : 0),
                state.Attested || string.Equals(e.Action, "extract.deletion-attested", StringComparison.Ordinal));
        }

        return [.. extracts
            .Where(x => x.Value.Downloads > 0 && !x.Value.Attested && x.Value.Deadline is { } d && d <= asOf)
            .Select(x => new UnattestedExtract(
                x.Key,
                x.Value.Last.Dataset,
                x.Value.Last.Details.GetValueOrDefault("requester"),
                x.Value.Last.Details.GetValueOrDefault("requesterOrganisation"),
                x.Value.Deadline!.Value,
                x.Value.Downloads))
            .OrderBy(x => x.RetentionDeadline)];
    }

    /// <summary>
    /// Each clause in force whose provider is the organisation and that commits to a publication frequency, as
    /// <see cref="Commitments"/> evaluates it today by reference period: the last publication, the due date that matters
    /// (the oldest missed one when late, else the next one), met / late / not-yet-due, and the publications in the period.
    /// </summary>
    private async Task<List<CommitmentLine>> CommitmentsAsync(string organisation, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var lines = new List<CommitmentLine>();
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        foreach (var contract in contracts.Contracts.Contracts.Where(c => c.IsInForce(today) && c.Clauses.Concat(c.Amendments.SelectMany(a => a.Changes).Select(x => x.Clause)).Any(x => x?.Provider == organisation)))
        {
            foreach (var status in (await commitments.EvaluateAsync(contract, cancellationToken)).Where(s => string.Equals(s.Clause.Provider, organisation, StringComparison.Ordinal)))
            {
                var clause = status.Clause;
                var publications = await db.AuditEvents.AsNoTracking()
                    .Where(e => e.Action == "dataset.published" && e.Dataset == clause.Dataset && e.DataOwner == organisation && e.Timestamp >= from && e.Timestamp < to)
                    .CountAsync(cancellationToken);
                var last = status.Periods.Where(p => p.PublishedAt is not null).Select(p => p.PublishedAt).Max();
                var due = status.OldestMissing?.Due ?? status.NextDue ?? contract.End;
                var state = status.State != CommitmentState.UpToDate ? "late" : last is null ? "not-yet-due" : "met";
                lines.Add(new CommitmentLine(contract.Id, clause.Id, clause.Dataset, clause.Publication!.Frequency.ToString(), last,
                    new DateTimeOffset(due.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), state, publications)
                {
                    DaysLate = status.DaysLate,
                    MissingPeriods = status.Periods.Count(p => p.State == PeriodState.Missing),
                });
            }
        }

        return lines;
    }

    private async Task<ChainStatus> ChainStatusAsync(CancellationToken cancellationToken)
    {
        var ledger = new AuditLedger(db);
        var verification = await ledger.VerifyAsync(null, null, cancellationToken);
        var last = await db.AuditCheckpoints.AsNoTracking().OrderByDescending(c => c.Sequence).FirstOrDefaultAsync(cancellationToken);
        var anchor = await ledger.LatestAnchorAsync(cancellationToken);
        return new ChainStatus(
            verification.Intact, verification.EventsChecked, verification.CheckpointsChecked, verification.FirstBadSequence, verification.Problem, verification.Detail,
            verification.HeadSequence, last?.Sequence, last?.SignedAt, anchor?.Sequence);
    }

    /// <summary>At least N denials of one actor within the window (one alert per burst).</summary>
    private static IEnumerable<ReportAlert> DenialBursts(List<AuditEvent> denials, AuditAlertOptions alerts)
    {
        foreach (var group in denials.GroupBy(e => e.Actor.Subject, StringComparer.Ordinal))
        {
            var events = group.OrderBy(e => e.Timestamp).ToList();
            var start = 0;
            while (start < events.Count)
            {
                var end = start;
                while (end + 1 < events.Count && events[end + 1].Timestamp - events[start].Timestamp <= alerts.DenialBurstWindow)
                {
                    end++;
                }

                var count = end - start + 1;
                if (count >= alerts.DenialBurstCount)
                {
                    yield return new ReportAlert("denial-burst", group.Key, CommonDataset(events.Skip(start).Take(count)), events[start].Timestamp, events[end].Timestamp, count,
                        string.Create(CultureInfo.InvariantCulture, $"{count} refus pour {group.Key} en {Minutes(events[end].Timestamp - events[start].Timestamp)} (seuil : {alerts.DenialBurstCount} en {Minutes(alerts.DenialBurstWindow)})."));
                    start = end + 1;
                }
                else
                {
                    start++;
                }
            }
        }
    }

    /// <summary>At least N distinct slices (dimensions, measures and filters) of one dataset queried by one actor within the window.</summary>
    private static IEnumerable<ReportAlert> SliceBursts(List<AuditEvent> answers, AuditAlertOptions alerts)
    {
        foreach (var group in answers.Where(e => e.Dataset is not null).GroupBy(e => (e.Actor.Subject, e.Dataset!)))
        {
            var events = group.OrderBy(e => e.Timestamp).ToList();
            var inWindow = new Dictionary<string, int>(StringComparer.Ordinal);
            var start = 0;
            for (var end = 0; end < events.Count; end++)
            {
                Add(SliceOf(events[end]), 1);
                while (events[end].Timestamp - events[start].Timestamp > alerts.SliceBurstWindow)
                {
                    Add(SliceOf(events[start]), -1);
                    start++;
                }

                if (inWindow.Count >= alerts.SliceBurstCount)
                {
                    var distinct = inWindow.Count;
                    yield return new ReportAlert("many-slices", group.Key.Subject, group.Key.Item2, events[start].Timestamp, events[end].Timestamp, distinct,
                        string.Create(CultureInfo.InvariantCulture, $"{group.Key.Subject} a interrogé {distinct} découpages différents de {group.Key.Item2} en {Minutes(events[end].Timestamp - events[start].Timestamp)} (seuil : {alerts.SliceBurstCount} en {Minutes(alerts.SliceBurstWindow)})."));
                    inWindow.Clear();
                    start = end + 1;
                }
            }

            void Add(string slice, int delta)
            {
                var count = inWindow.GetValueOrDefault(slice) + delta;
                if (count <= 0)
                {
                    inWindow.Remove(slice);
                }
                else
                {
                    inWindow[slice] = count;
                }
            }
        }
    }

    /// <summary>Extract downloads outside working hours (local time of the configured zone).</summary>
    private static IEnumerable<ReportAlert> AfterHours(List<AuditEvent> downloads, AuditAlertOptions alerts)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(alerts.TimeZone);
        foreach (var e in downloads)
        {
            var local = TimeZoneInfo.ConvertTime(e.Timestamp, zone);
            if (local.TimeOfDay >= alerts.WorkingHoursStart && local.TimeOfDay < alerts.WorkingHoursEnd)
            {
                continue;
            }

            yield return new ReportAlert("after-hours-download", e.Actor.Subject, e.Dataset, e.Timestamp, e.Timestamp, 1,
                string.Create(CultureInfo.InvariantCulture, $"Téléchargement de l'extraction {e.Details.GetValueOrDefault("extract")} par {e.Actor.Subject} à {local:HH:mm} ({alerts.TimeZone}), hors des heures ouvrées {alerts.WorkingHoursStart:hh\\:mm}–{alerts.WorkingHoursEnd:hh\\:mm}."));
        }
    }

    private static string SliceOf(AuditEvent e) =>
        string.Join('\n', e.Details.GetValueOrDefault("dimensions"), e.Details.GetValueOrDefault("measures"), e.Details.GetValueOrDefault("filters"));

    private static string? CommonDataset(IEnumerable<AuditEvent> events)
    {
        var datasets = events.Select(e => e.Dataset).Distinct(StringComparer.Ordinal).ToList();
        return datasets.Count == 1 ? datasets[0] : null;
    }

    private static string Minutes(TimeSpan span) =>
        span.TotalMinutes < 1 ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0} s") : string.Create(CultureInfo.InvariantCulture, $"{span.TotalMinutes:0} min");
}
