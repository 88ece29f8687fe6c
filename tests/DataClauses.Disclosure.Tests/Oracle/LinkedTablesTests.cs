using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace DataClauses.Disclosure.Tests.Oracle;

/// <summary>
/// Linked tables (issue 11): two tables of one dataset version over different dimensions — geography (QPV ⊂ commune)
/// × sex, and commune × age band — share the commune and total marginals. Protected together as the released cells
/// of one joint table, the integer attacker who reads both releases (rounded values as intervals, statuses, rules)
/// finds no primary of either narrower than the protection level.
/// </summary>
public sealed class LinkedTablesTests(ITestOutputHelper output)
{
    private const int CaseCount = 30;

    [Fact]
    public void No_primary_of_two_linked_tables_protected_together_is_narrower_than_the_protection_level_for_the_attacker_of_both()
    {
        Glpsol.IsInstalled.ShouldBeTrue("glpsol is missing: apt-get install glpk-utils (./test.sh installs it)");
        var seed = int.TryParse(Environment.GetEnvironmentVariable("DATACLAUSES_ORACLE_SEED"), CultureInfo.InvariantCulture, out var s) ? s : 20261207;
        output.WriteLine($"seed {seed} (DATACLAUSES_ORACLE_SEED replays another)");
        var random = new Random(seed);
        var failures = new ConcurrentBag<string>();
        var cases = Enumerable.Range(0, CaseCount).Select(_ => Generate(random)).ToList();
        var primaries = 0;
        var stopwatch = Stopwatch.StartNew();
        Parallel.For(0, cases.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var (@case, released) = cases[i];
            var table = TableProtector.Protect(@case.Table, @case.Rules, released);
            Interlocked.Add(ref primaries, table.PrimaryCount);
            Enumerable.Range(0, table.Table.CellCount).Where(c => !released[c]).ShouldAllBe(c => !table.IsPublished(c) && table.Statuses[c] != CellStatus.SuppressedPrimary);
            foreach (var failure in IntegerAttackerTests.Attack(table))
            {
                failures.Add($"case {i} [{@case}]: {failure}");
            }
        });

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{cases.Count} pairs of linked tables, {primaries} primary cells, {failures.Count} too narrow; {stopwatch.Elapsed.TotalSeconds:F1} s"));
        failures.ShouldBeEmpty(string.Join(Environment.NewLine, failures.Take(20)));
    }

    [Fact]
    public void Two_tables_protected_apart_leak_a_primary_that_the_joint_protection_keeps()
    {
        // The oracle must see across tables: protected apart, some shared total is published by one table and
        // suppressed by the other, and the attacker of both narrows a primary; over many random pairs this happens.
        var random = new Random(20261208);
        var leaks = 0;
        var pairs = 0;
        for (; pairs < 200 && leaks == 0; pairs++)
        {
            var (@case, released) = Generate(random);
            var joint = TableProtector.Protect(@case.Table, @case.Rules, released);
            var (first, second) = Halves(@case.Table, released);
            var apartFirst = TableProtector.Protect(@case.Table, @case.Rules, first);
            var apartSecond = TableProtector.Protect(@case.Table, @case.Rules, second);

            // The union of the two releases, as the attacker reads them: a cell published by either is known.
            var statuses = joint.Statuses.ToArray();
            var counts = joint.PublishedCounts.ToArray();
            for (var c = 0; c < statuses.Length; c++)
            {
                var one = first[c] ? apartFirst.Statuses[c] : (CellStatus?)null;
                var two = second[c] ? apartSecond.Statuses[c] : (CellStatus?)null;
                var published = new[] { one, two }.FirstOrDefault(x => x is CellStatus.Published or CellStatus.Rounded);
                statuses[c] = published ?? (one ?? two ?? CellStatus.SuppressedSecondary);
                counts[c] = published is null ? 0 : TableProtector.Round(@case.Table.Counts[c], @case.Rules.Rounding);
            }

            var union = Tables.WithStatuses(@case.Table, @case.Rules, statuses, counts, released);
            leaks += IntegerAttackerTests.Attack(union).Count();
            IntegerAttackerTests.Attack(joint).ShouldBeEmpty();
        }

        output.WriteLine($"{pairs} random pairs until a leak");
        leaks.ShouldBeGreaterThan(0);
    }

    /// <summary>A joint table geo (QPV ⊂ commune) × sex × age band, and the cells of (geo, sex) and (commune, age band).</summary>
    internal static (TableCase Case, bool[] Released) Generate(Random random)
    {
        var pairs = new List<(string, string?)>();
        var communes = random.Next(2, 4);
        for (var c = 0; c < communes; c++)
        {
            pairs.Add(($"C{c}", null));
            var qpvs = random.Next(1, 4);
            for (var q = 0; q < qpvs; q++)
            {
                pairs.Add(($"C{c}Q{q}", $"C{c}"));
            }
        }

        var dimensions = new[] { new Dimension("geo", Hierarchy.FromParents(pairs)), Tables.Flat("sexe", 2), Tables.Flat("age", random.Next(2, 4)) };
        var rules = new DisclosureRules
        {
            MinCount = random.Next(2) == 0 ? 5 : 11,
            Rounding = random.Next(3) switch { 0 => Rounding.Base5, 1 => Rounding.Midpoint6, _ => Rounding.None },
        };
        var @case = RandomTables.Fill(random, dimensions, 0, rules, $"geo {pairs.Count} codes × 2 × {dimensions[2].Hierarchy.Count - 1}, min {rules.MinCount}, rounding {rules.Rounding}");
        var (first, second) = Halves(@case.Table, null);
        return (@case, [.. first.Zip(second, (a, b) => a || b)]);
    }

    /// <summary>The cells of (geo, sex) — age band at its total — and of (commune, age band) — sex at its total, geography above the QPV.</summary>
    private static (bool[] First, bool[] Second) Halves(Table table, bool[]? within)
    {
        var geo = table.Dimensions[0].Hierarchy;
        var first = new bool[table.CellCount];
        var second = new bool[table.CellCount];
        for (var c = 0; c < table.CellCount; c++)
        {
            first[c] = table.CodeOf(c, 2) == 0;
            second[c] = table.CodeOf(c, 1) == 0 && !geo.IsLeaf(table.CodeOf(c, 0));
            if (within is not null)
            {
                first[c] &= within[c];
                second[c] &= within[c];
            }
        }

        return (first, second);
    }
}
