using System.Globalization;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;
using FsCheck;
using FsCheck.Fluent;

namespace DataClauses.Policy.Tests.Engine;

/// <summary>
/// Publication commitments by reference period: the version ids that name a period, a worked example, and properties
/// checked over generated commitments, version histories and days against what the definitions say, one by one.
/// </summary>
public sealed class PublicationScheduleTests
{
    [Theory]
    [InlineData("2024-12-31", "2024-12-31")]
    [InlineData("2024-06-30", "2024-06-30")]
    [InlineData("2024", "2024-12-31")]
    [InlineData("2024-02", "2024-02-29")]
    [InlineData("2023-02", "2023-02-28")]
    [InlineData("2024-Q1", "2024-03-31")]
    [InlineData("2024-T3", "2024-09-30")]
    [InlineData("2024-q4", "2024-12-31")]
    [InlineData("2024-S1", "2024-06-30")]
    [InlineData("2024-S2", "2024-12-31")]
    public void A_version_id_names_the_last_day_of_its_period(string version, string end)
    {
        PublicationSchedule.PeriodEnd(version).ShouldBe(DateOnly.ParseExact(end, "yyyy-MM-dd", CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("2024-13")]
    [InlineData("2024-02-30")]
    [InlineData("2024-Q5")]
    [InlineData("2024-S3")]
    [InlineData("0000")]
    [InlineData("2024-12-31-bis")]
    [InlineData("24-12-31")]
    [InlineData("")]
    public void Other_version_ids_name_no_period(string version)
    {
        PublicationSchedule.PeriodEnd(version).ShouldBeNull();
    }

    [Fact]
    public void A_yearly_commitment_is_late_the_day_after_a_period_is_due_without_a_version()
    {
        var clause = Clause("P1Y", delay: null);
        var versions = new[] { new PublishedVersionFact("2024-12-31", new DateTimeOffset(2025, 2, 1, 10, 0, 0, TimeSpan.Zero)) };
        var start = new DateOnly(2024, 1, 1);
        var end = new DateOnly(2030, 12, 31);

        var onDue = PublicationSchedule.Evaluate(clause, start, end, versions, new DateOnly(2026, 3, 31));
        var after = PublicationSchedule.Evaluate(clause, start, end, versions, new DateOnly(2026, 4, 1));

        onDue.State.ShouldBe(CommitmentState.UpToDate);
        onDue.NextDue.ShouldBe(new DateOnly(2026, 3, 31));
        after.State.ShouldBe(CommitmentState.Late);
        after.DaysLate.ShouldBe(1);
        after.OldestMissing!.End.ShouldBe(new DateOnly(2025, 12, 31));
        after.NextDue.ShouldBe(new DateOnly(2027, 3, 31));
        after.Periods.Select(p => p.State).ShouldBe([PeriodState.OnTime, PeriodState.Missing, PeriodState.NotYetDue]);
        after.Periods[0].Version.ShouldBe("2024-12-31");
    }

    [Fact]
    public void Nothing_published_while_periods_are_due_is_never_published_and_an_upload_time_counts_for_nothing()
    {
        var clause = Clause("P3M", delay: "P1M");

        // Uploaded in time for 2024-Q2, but its id names 2023-Q4 (before the commitment): no period of the commitment gets it.
        var status = PublicationSchedule.Evaluate(clause, new DateOnly(2024, 1, 1), new DateOnly(2026, 12, 31),
            [new PublishedVersionFact("2023-T4", new DateTimeOffset(2024, 7, 15, 0, 0, 0, TimeSpan.Zero)), new PublishedVersionFact("draft", new DateTimeOffset(2024, 7, 16, 0, 0, 0, TimeSpan.Zero))],
            new DateOnly(2024, 8, 1));

        status.State.ShouldBe(CommitmentState.NeverPublished);
        status.Periods.Count(p => p.State == PeriodState.Missing).ShouldBe(2);
        status.DaysLate.ShouldBe(new DateOnly(2024, 8, 1).DayNumber - new DateOnly(2024, 4, 30).DayNumber);
        status.Unrecognised.ShouldBe(["draft"]);
    }

    private static readonly string[] Frequencies = ["P1M", "P3M", "P6M", "P1Y", "P2W", "P10D", "P1Y6M"];
    private static readonly string?[] Delays = [null, "P1M", "P3M", "P45D", "P1Y"];

    private static Gen<(Clause Clause, DateOnly Since, DateOnly Until, List<PublishedVersionFact> Versions, DateOnly Today)> CaseGen =>
        from frequency in Gen.Elements(Frequencies)
        from delay in Gen.Elements(Delays)
        from sinceOffset in Gen.Choose(0, 700)
        from years in Gen.Choose(1, 6)
        from todayOffset in Gen.Choose(-40, (years * 366) + 200)
        from versions in Gen.ListOf(VersionGen(sinceOffset, years))
        let since = new DateOnly(2024, 1, 1).AddDays(sinceOffset)
        select (Clause(frequency, delay), since, since.AddYears(years).AddDays(-1), versions.ToList(), since.AddDays(todayOffset));

    private static Gen<PublishedVersionFact> VersionGen(int sinceOffset, int years) =>
        from periodDay in Gen.Choose(sinceOffset - 120, sinceOffset + (years * 366) + 60)
        from format in Gen.Choose(0, 5)
        from lag in Gen.Choose(-30, 500)
        let end = new DateOnly(2024, 1, 1).AddDays(periodDay)
        let id = format switch
        {
            0 or 1 => end.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            2 => end.ToString("yyyy-MM", CultureInfo.InvariantCulture),
            3 => $"{end.Year}-T{((end.Month - 1) / 3) + 1}",
            4 => end.Year.ToString(CultureInfo.InvariantCulture),
            _ => "v" + periodDay.ToString(CultureInfo.InvariantCulture),
        }
        select new PublishedVersionFact(id, new DateTimeOffset(end.AddDays(lag).ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero));

    [Fact]
    public void Every_evaluation_agrees_with_the_definitions()
    {
        Prop.ForAll(Arb.From(CaseGen), c =>
        {
            var (clause, since, until, versions, today) = c;
            var status = PublicationSchedule.Evaluate(clause, since, until, versions, today);
            var delay = clause.Publication!.Delay ?? PublicationSchedule.DefaultDelay;
            var periods = status.Periods;

            // Periods: contiguous from the first day in force, each begun by today, the last one running today (or the last of the contract).
            if (today < since)
            {
                periods.ShouldBeEmpty();
            }
            else
            {
                periods[0].Start.ShouldBe(since);
                periods[^1].Start.ShouldBeLessThanOrEqualTo(today);
                (periods[^1].End >= today || periods[^1].End >= until).ShouldBeTrue();
            }

            for (var i = 0; i < periods.Count; i++)
            {
                var p = periods[i];
                p.End.ShouldBeGreaterThanOrEqualTo(p.Start);
                p.Due.ShouldBe(delay.AddTo(p.End));
                if (i > 0)
                {
                    p.Start.ShouldBe(periods[i - 1].End.AddDays(1));
                }

                // The version of a period: the first published by today among those whose id names a day of the period.
                var candidates = versions
                    .Where(v => PublicationSchedule.PeriodEnd(v.Version) is { } e && e >= p.Start && e <= p.End && DateOnly.FromDateTime(v.PublishedAt.UtcDateTime) <= today)
                    .OrderBy(v => v.PublishedAt).ThenBy(v => v.Version, StringComparer.Ordinal).ToList();
                if (candidates.Count == 0)
                {
                    p.Version.ShouldBeNull();
                    p.State.ShouldBe(today > p.Due ? PeriodState.Missing : PeriodState.NotYetDue);
                }
                else
                {
                    p.Version.ShouldNotBeNull();
                    candidates.Where(v => v.PublishedAt == candidates[0].PublishedAt).Select(v => v.Version).ShouldContain(p.Version);
                    p.State.ShouldBe(DateOnly.FromDateTime(candidates[0].PublishedAt.UtcDateTime) <= p.Due ? PeriodState.OnTime : PeriodState.PublishedLate);
                }
            }

            var missing = periods.Where(p => p.State == PeriodState.Missing).ToList();
            var expected = missing.Count == 0 ? CommitmentState.UpToDate : periods.Any(p => p.Version is not null) ? CommitmentState.Late : CommitmentState.NeverPublished;
            status.State.ShouldBe(expected);
            status.DaysLate.ShouldBe(missing.Count == 0 ? 0 : today.DayNumber - missing.Min(p => p.Due).DayNumber);
            status.DaysLate.ShouldBeGreaterThanOrEqualTo(0);
            status.Unrecognised.ShouldBe(versions.OrderBy(v => v.PublishedAt).ThenBy(v => v.Version, StringComparer.Ordinal)
                .Where(v => PublicationSchedule.PeriodEnd(v.Version) is null).Select(v => v.Version).ToList());
            if (status.NextDue is { } next)
            {
                next.ShouldBeGreaterThanOrEqualTo(today);
            }
        }).QuickCheckThrowOnFailure();
    }

    private static Clause Clause(string frequency, string? delay)
    {
        IsoDuration.TryParse(frequency, out var f).ShouldBeTrue();
        IsoDuration? d = null;
        if (delay is not null)
        {
            IsoDuration.TryParse(delay, out var parsed).ShouldBeTrue();
            d = parsed;
        }

        return new Clause
        {
            Id = "c",
            Provider = "caf-44",
            Dataset = "caf-foyers-allocataires",
            Recipients = new Recipients { Organisations = ["epci-demo"] },
            Purposes = ["observation"],
            Dimensions = ["qpv"],
            Measures = ["foyers"],
            FinestGeography = GeoLevel.Qpv,
            Disclosure = new DisclosureRules { MinCount = 11 },
            LegalBasis = "RGPD art. 6.1.e",
            Publication = new PublicationCommitment(f, "csv", Tier.Protected, d),
        };
    }
}
