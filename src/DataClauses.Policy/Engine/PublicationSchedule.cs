using System.Globalization;
using System.Text.RegularExpressions;
using DataClauses.Policy.Model;

namespace DataClauses.Policy.Engine;

/// <summary>Where a publication commitment stands.</summary>
public enum CommitmentState
{
    /// <summary>Every reference period already due has a version ("à jour"); also when none is due yet.</summary>
    UpToDate,

    /// <summary>At least one reference period past its due date has no version ("en retard").</summary>
    Late,

    /// <summary>Periods are due and no version of any period was ever published ("jamais publié").</summary>
    NeverPublished,
}

/// <summary>Where one reference period of a commitment stands.</summary>
public enum PeriodState
{
    /// <summary>A version of the period was published by its due date.</summary>
    OnTime,

    /// <summary>A version of the period was published after its due date.</summary>
    PublishedLate,

    /// <summary>No version yet, and the due date has passed.</summary>
    Missing,

    /// <summary>No version yet, and the due date has not passed (the period may still be running).</summary>
    NotYetDue,
}

/// <summary>A published version as the schedule sees it: its id (which names its reference period) and when it was published.</summary>
/// <param name="Version">The version id (e.g. <c>2024-12-31</c>, <c>2024</c>, <c>2024-T3</c>).</param>
/// <param name="PublishedAt">When it was published.</param>
public sealed record PublishedVersionFact(string Version, DateTimeOffset PublishedAt);

/// <summary>One reference period a commitment promises, and the version that covers it.</summary>
/// <param name="Start">First day of the period.</param>
/// <param name="End">Last day of the period.</param>
/// <param name="Due">The last day a version of the period may be published on time.</param>
/// <param name="Version">The first version published for the period, if any.</param>
/// <param name="PublishedAt">When that version was published.</param>
/// <param name="State">On time, late, missing or not yet due.</param>
public sealed record CommitmentPeriod(DateOnly Start, DateOnly End, DateOnly Due, string? Version, DateTimeOffset? PublishedAt, PeriodState State);

/// <summary>A clause's publication commitment compared with what was published, by reference period.</summary>
/// <param name="Clause">The clause that makes the commitment.</param>
/// <param name="Since">The first day the clause is in force (the contract's start, or the amendment that added it).</param>
/// <param name="Delay">How long after a period's end its version is due.</param>
/// <param name="State">À jour, en retard, jamais publié.</param>
/// <param name="DaysLate">Days since the earliest missed due date (0 unless late or never published).</param>
/// <param name="OldestMissing">The earliest period whose due date passed without a version.</param>
/// <param name="NextDue">The next due date still ahead (null when none is left before the contract ends).</param>
/// <param name="Periods">The periods begun by <c>today</c>, oldest first.</param>
/// <param name="Unrecognised">Versions whose id names no reference period (they count for no period).</param>
public sealed record CommitmentStatus(
    Clause Clause,
    DateOnly Since,
    IsoDuration Delay,
    CommitmentState State,
    int DaysLate,
    CommitmentPeriod? OldestMissing,
    DateOnly? NextDue,
    IReadOnlyList<CommitmentPeriod> Periods,
    IReadOnlyList<string> Unrecognised);

/// <summary>
/// Compares a clause's publication commitment with the versions published, by reference period (a version's period is
/// read from its id, never from its upload time): the periods of length <c>frequency</c> from the day the clause comes
/// into force, each due <c>delay</c> (default <see cref="DefaultDelay"/>) after its end. Pure: no clock, no I/O.
/// </summary>
public static partial class PublicationSchedule
{
    /// <summary>The publication delay when the commitment names none: three months after the period's end.</summary>
    public static readonly IsoDuration DefaultDelay = new(0, 3, 0, 0, 0, 0, 0);

    /// <summary>More periods than any real contract has (a daily commitment over 30 years): a guard, not a limit in use.</summary>
    private const int MaxPeriods = 12_000;

    /// <summary>
    /// The last day of the reference period a version id names: <c>YYYY-MM-DD</c> (the period ends that day),
    /// <c>YYYY</c> (the year), <c>YYYY-MM</c> (the month), <c>YYYY-Qn</c> or <c>YYYY-Tn</c> (the quarter, trimestre),
    /// <c>YYYY-Sn</c> (the half-year, semestre). Null for any other id.
    /// </summary>
    public static DateOnly? PeriodEnd(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var match = VersionPattern().Match(version);
        if (!match.Success)
        {
            return null;
        }

        var year = int.Parse(match.Groups["y"].ValueSpan, CultureInfo.InvariantCulture);
        if (year < 1)
        {
            return null;
        }

        if (match.Groups["d"].Success)
        {
            return DateOnly.TryParseExact(version, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;
        }

        if (match.Groups["m"].Success)
        {
            var month = int.Parse(match.Groups["m"].ValueSpan, CultureInfo.InvariantCulture);
            return month is < 1 or > 12 ? null : new DateOnly(year, month, DateTime.DaysInMonth(year, month));
        }

        if (match.Groups["q"].Success)
        {
            var quarter = match.Groups["q"].ValueSpan[0] - '0';
            return quarter is < 1 or > 4 ? null : LastDayOfMonth(year, quarter * 3);
        }

        if (match.Groups["s"].Success)
        {
            var half = match.Groups["s"].ValueSpan[0] - '0';
            return half is < 1 or > 2 ? null : LastDayOfMonth(year, half * 6);
        }

        return new DateOnly(year, 12, 31);
    }

    /// <summary>The first day <paramref name="clauseId"/> is in force in <paramref name="contract"/> (null if never).</summary>
    public static DateOnly? InForceSince(Contract contract, string clauseId)
    {
        ArgumentNullException.ThrowIfNull(contract);
        if (contract.Clauses.Any(c => c.Id == clauseId))
        {
            return contract.Start;
        }

        return contract.Amendments.OrderBy(a => a.Number)
            .FirstOrDefault(a => a.Changes.Any(c => c.Kind == ClauseChangeKind.Add && c.ClauseId == clauseId))?.Effective;
    }

    /// <summary>
    /// Where <paramref name="clause"/>'s commitment stands on <paramref name="today"/>, given the versions published of
    /// its dataset by then. The periods run from <paramref name="since"/> to the end of the contract
    /// (<paramref name="until"/>); those not begun by <paramref name="today"/> are not listed.
    /// </summary>
    public static CommitmentStatus Evaluate(Clause clause, DateOnly since, DateOnly until, IEnumerable<PublishedVersionFact> versions, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(clause);
        ArgumentNullException.ThrowIfNull(versions);
        var commitment = clause.Publication ?? throw new ArgumentException($"Clause '{clause.Id}' makes no publication commitment.", nameof(clause));
        var delay = commitment.Delay ?? DefaultDelay;

        // The first version published for each period end; ids naming no period are listed apart.
        var byEnd = new SortedDictionary<DateOnly, PublishedVersionFact>();
        var unrecognised = new List<string>();
        foreach (var version in versions.OrderBy(v => v.PublishedAt).ThenBy(v => v.Version, StringComparer.Ordinal))
        {
            if (PeriodEnd(version.Version) is { } end)
            {
                byEnd.TryAdd(end, version);
            }
            else
            {
                unrecognised.Add(version.Version);
            }
        }

        var periods = new List<CommitmentPeriod>();
        DateOnly? nextDue = null;
        for (var k = 0; k < MaxPeriods; k++)
        {
            var start = Times(commitment.Frequency, k).AddTo(since);
            if (start > until)
            {
                break;
            }

            var next = Times(commitment.Frequency, k + 1).AddTo(since);
            if (next <= start)
            {
                // A frequency shorter than a day (PT1H) counts as daily: dates are the schedule's unit.
                next = start.AddDays(1);
            }

            var end = next.AddDays(-1);
            var due = delay.AddTo(end);
            if (start > today)
            {
                nextDue ??= due;
                break;
            }

            var covering = byEnd.Where(v => v.Key >= start && v.Key <= end).Select(v => v.Value).OrderBy(v => v.PublishedAt).FirstOrDefault();
            PeriodState state;
            if (covering is not null && DateOnly.FromDateTime(covering.PublishedAt.UtcDateTime) <= today)
            {
                state = DateOnly.FromDateTime(covering.PublishedAt.UtcDateTime) <= due ? PeriodState.OnTime : PeriodState.PublishedLate;
            }
            else
            {
                covering = null;
                state = today > due ? PeriodState.Missing : PeriodState.NotYetDue;
                if (state == PeriodState.NotYetDue)
                {
                    nextDue ??= due;
                }
            }

            periods.Add(new CommitmentPeriod(start, end, due, covering?.Version, covering?.PublishedAt, state));
            if (next > until)
            {
                break;
            }
        }

        var oldestMissing = periods.FirstOrDefault(p => p.State == PeriodState.Missing);
        var anyPublished = periods.Any(p => p.Version is not null);
        var overall = oldestMissing is null ? CommitmentState.UpToDate : anyPublished ? CommitmentState.Late : CommitmentState.NeverPublished;
        var daysLate = oldestMissing is null ? 0 : today.DayNumber - oldestMissing.Due.DayNumber;
        return new CommitmentStatus(clause, since, delay, overall, daysLate, oldestMissing, nextDue, periods, unrecognised);
    }

    private static IsoDuration Times(IsoDuration d, int k) =>
        new(d.Years * k, d.Months * k, d.Weeks * k, d.Days * k, 0, 0, 0);

    private static DateOnly LastDayOfMonth(int year, int month) => new(year, month, DateTime.DaysInMonth(year, month));

    [GeneratedRegex(@"^(?<y>[0-9]{4})(?:-(?:(?<d>[0-9]{2}-[0-9]{2})|(?<m>[0-9]{2})|[QqTt](?<q>[1-4])|[Ss](?<s>[1-2])))?$", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex VersionPattern();
}
