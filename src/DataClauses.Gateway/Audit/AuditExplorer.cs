using System.Globalization;
using DataClauses.Audit;
using DataClauses.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace DataClauses.Gateway.Audit;

/// <summary>Filters of the audit log (all optional; <see cref="Action"/> may end with <c>.*</c> for a prefix).</summary>
internal sealed record AuditFilter
{
    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    public string? Dataset { get; init; }

    public string? Purpose { get; init; }

    public string? Actor { get; init; }

    /// <summary>The actor's organisation (e.g. which partner read the DPO's datasets).</summary>
    public string? ActorOrganisation { get; init; }

    public string? Action { get; init; }

    public string? Effect { get; init; }

    /// <summary>Only events before this sequence (the cursor of the next page).</summary>
    public long? Before { get; init; }

    /// <summary>The filters set, for the audit of the read itself.</summary>
    public Dictionary<string, string> Described()
    {
        var details = new Dictionary<string, string>(StringComparer.Ordinal);
        Add("from", From is { } f ? AuditCanonicalForm.FormatInstant(f) : null);
        Add("to", To is { } t ? AuditCanonicalForm.FormatInstant(t) : null);
        Add("dataset", Dataset);
        Add("purpose", Purpose);
        Add("actor", Actor);
        Add("actorOrganisation", ActorOrganisation);
        Add("action", Action);
        Add("effect", Effect);
        return details;

        void Add(string name, string? value)
        {
            if (value is not null)
            {
                details["filter." + name] = value.Length > 200 ? value[..200] : value;
            }
        }
    }
}

/// <summary>One sealed event as the explorer shows it.</summary>
internal sealed record ExploredEvent(long Sequence, string PreviousHash, string Hash, AuditEvent Event);

/// <summary>A page of events, newest first, and the cursor of the next one.</summary>
internal sealed record AuditPage(IReadOnlyList<ExploredEvent> Events, long? NextBefore);

/// <summary>One event with what links it into the chain: its predecessor and the checkpoint that seals it.</summary>
internal sealed record ExploredEventDetail(ExploredEvent Item, long? PredecessorSequence, bool PredecessorVisible, AuditCheckpoint? SealedBy);

/// <summary>
/// Reads the audit log as a DPO of one organisation may: the events about its datasets or by its people and clients
/// (<see cref="AuditReportBuilder.Visible"/>), filtered and paged; one event with its chain links. Used by
/// <c>GET /api/v1/audit/events</c> and the portal's audit pages alike.
/// </summary>
internal sealed class AuditExplorer(GatewayDbContext db)
{
    /// <summary>Largest page of events.</summary>
    public const int MaxLimit = 500;

    public async Task<AuditPage> ReadAsync(string organisation, AuditFilter filter, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var events = AuditReportBuilder.Visible(db, organisation);
        if (filter.From is { } f)
        {
            events = events.Where(e => e.Timestamp >= f);
        }

        if (filter.To is { } t)
        {
            events = events.Where(e => e.Timestamp < t);
        }

        if (filter.Dataset is { } dataset)
        {
            events = events.Where(e => e.Dataset == dataset);
        }

        if (filter.Purpose is { } purpose)
        {
            events = events.Where(e => e.Purpose == purpose);
        }

        if (filter.Actor is { } actor)
        {
            events = events.Where(e => e.ActorSubject == actor);
        }

        if (filter.ActorOrganisation is { } actorOrganisation)
        {
            events = events.Where(e => e.ActorOrganisation == actorOrganisation);
        }

        if (filter.Effect is { } effect)
        {
            events = events.Where(e => e.Effect == effect);
        }

        if (filter.Action is { } action)
        {
            if (action.EndsWith(".*", StringComparison.Ordinal))
            {
                var prefix = action[..^1].Replace("%", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal);
                events = events.Where(e => EF.Functions.Like(e.Action, prefix + "%"));
            }
            else
            {
                events = events.Where(e => e.Action == action);
            }
        }

        if (filter.Before is { } before)
        {
            events = events.Where(e => e.Sequence < before);
        }

        var page = await events.OrderByDescending(e => e.Sequence).Take(Math.Clamp(limit, 1, MaxLimit) + 1)
            .Select(e => new { e.Sequence, e.PreviousHash, e.Hash, e.Canonical })
            .ToListAsync(cancellationToken);
        var more = page.Count > limit;
        if (more)
        {
            page.RemoveAt(page.Count - 1);
        }

        return new AuditPage(
            [.. page.Select(r => new ExploredEvent(r.Sequence, r.PreviousHash, r.Hash, AuditCanonicalForm.Read(r.Canonical).Event))],
            more ? page[^1].Sequence : null);
    }

    /// <summary>One event the organisation may see, with its predecessor and sealing checkpoint; null otherwise.</summary>
    public async Task<ExploredEventDetail?> FindAsync(string organisation, long sequence, CancellationToken cancellationToken)
    {
        var row = await AuditReportBuilder.Visible(db, organisation).Where(e => e.Sequence == sequence)
            .Select(e => new { e.Sequence, e.PreviousHash, e.Hash, e.Canonical })
            .FirstOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            return null;
        }

        var predecessor = await db.AuditEvents.AsNoTracking().Where(e => e.Sequence < sequence).OrderByDescending(e => e.Sequence)
            .Select(e => (long?)e.Sequence).FirstOrDefaultAsync(cancellationToken);
        var predecessorVisible = predecessor is { } p && await AuditReportBuilder.Visible(db, organisation).AnyAsync(e => e.Sequence == p, cancellationToken);
        var seal = await db.AuditCheckpoints.AsNoTracking().Where(c => c.Sequence >= sequence).OrderBy(c => c.Sequence).FirstOrDefaultAsync(cancellationToken);
        return new ExploredEventDetail(
            new ExploredEvent(row.Sequence, row.PreviousHash, row.Hash, AuditCanonicalForm.Read(row.Canonical).Event),
            predecessor,
            predecessorVisible,
            seal is null ? null : AuditLedger.ToModel(seal));
    }

    /// <summary>The last checkpoint signed, and the last verification recorded (by anyone, for the whole chain).</summary>
    public async Task<(AuditCheckpoint? Checkpoint, AuditEvent? Verification)> StatusAsync(CancellationToken cancellationToken)
    {
        var checkpoint = await db.AuditCheckpoints.AsNoTracking().OrderByDescending(c => c.Sequence).ThenByDescending(c => c.SignedAt).FirstOrDefaultAsync(cancellationToken);
        var verified = await db.AuditEvents.AsNoTracking().Where(e => e.Action == AuditActions.Verified).OrderByDescending(e => e.Sequence)
            .Select(e => e.Canonical).FirstOrDefaultAsync(cancellationToken);
        return (checkpoint is null ? null : AuditLedger.ToModel(checkpoint), verified is null ? null : AuditCanonicalForm.Read(verified).Event);
    }

    /// <summary>
    /// Recomputes the chain (or <paramref name="from"/>..<paramref name="to"/>) against its signed checkpoints and records
    /// the verification (<c>audit.verified</c>, outcome failure when the chain is broken, with the first bad event).
    /// </summary>
    public async Task<AuditVerification> VerifyAsync(AuditService audit, long? from, long? to, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(audit);
        var verification = await new AuditLedger(db).VerifyAsync(from, to, cancellationToken);
        var details = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["intact"] = verification.Intact ? "true" : "false",
            ["eventsChecked"] = verification.EventsChecked.ToString(CultureInfo.InvariantCulture),
            ["checkpointsChecked"] = verification.CheckpointsChecked.ToString(CultureInfo.InvariantCulture),
        };
        if (!verification.Intact)
        {
            details["firstBadSequence"] = verification.FirstBadSequence?.ToString(CultureInfo.InvariantCulture) ?? string.Empty;
            details["problem"] = verification.Problem ?? string.Empty;
        }

        if (from is not null)
        {
            details["from"] = from.Value.ToString(CultureInfo.InvariantCulture);
        }

        if (to is not null)
        {
            details["to"] = to.Value.ToString(CultureInfo.InvariantCulture);
        }

        await audit.RecordAsync(audit.Create(AuditActions.Verified, verification.Intact ? "success" : "failure") with { Details = details }, cancellationToken);
        return verification;
    }

    /// <summary>Accesses to data (<see cref="AuditReportBuilder.AccessActions"/>) the organisation may see, by UTC month, in [from, to).</summary>
    public async Task<IReadOnlyList<(DateOnly Month, int Count)>> AccessesByMonthAsync(string organisation, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var actions = AuditReportBuilder.AccessActions;
        var instants = await AuditReportBuilder.Visible(db, organisation)
            .Where(e => e.Timestamp >= from && e.Timestamp < to && actions.Contains(e.Action))
            .Select(e => e.Timestamp).ToListAsync(cancellationToken);
        var counts = instants.GroupBy(t => new DateOnly(t.UtcDateTime.Year, t.UtcDateTime.Month, 1)).ToDictionary(g => g.Key, g => g.Count());
        var months = new List<(DateOnly, int)>();
        for (var month = new DateOnly(from.UtcDateTime.Year, from.UtcDateTime.Month, 1); month.ToDateTime(TimeOnly.MinValue) < to.UtcDateTime; month = month.AddMonths(1))
        {
            months.Add((month, counts.GetValueOrDefault(month)));
        }

        return months;
    }

    /// <summary>Parses a sequence number from a page or query (digits only).</summary>
    public static long? ParseSequence(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : null;
}
