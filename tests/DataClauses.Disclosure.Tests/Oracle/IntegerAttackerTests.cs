using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace DataClauses.Disclosure.Tests.Oracle;

/// <summary>
/// The promise of issue 11, checked by an independent integer attacker (<see cref="IntegerAttacker"/>, glpsol): on
/// random 2-D and 3-D tables (hierarchies, thresholds 5 and 11, rounding or not), every primary cell's feasible range
/// is at least the protection level wide — as wide as the rules leave it — never a single value.
/// </summary>
public sealed class IntegerAttackerTests(ITestOutputHelper output)
{
    private const int TableCount = 60;

    /// <summary>The seed, printed; DATACLAUSES_ORACLE_SEED replays another.</summary>
    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("DATACLAUSES_ORACLE_SEED"), CultureInfo.InvariantCulture, out var seed) ? seed : 20261206;

    [Fact]
    public void No_primary_cell_of_a_random_protected_table_has_a_range_narrower_than_the_protection_level_for_the_integer_attacker()
    {
        Glpsol.IsInstalled.ShouldBeTrue("glpsol is missing: apt-get install glpk-utils (./test.sh installs it)");
        var seed = Seed;
        output.WriteLine($"seed {seed} (DATACLAUSES_ORACLE_SEED replays another)");
        var random = new Random(seed);
        var cases = Enumerable.Range(0, TableCount).Select(_ => Generate(random)).ToList();
        var failures = new ConcurrentBag<string>();
        var checkedCells = 0;
        var weaker = new ConcurrentDictionary<Guarantee, int>();
        var stopwatch = Stopwatch.StartNew();
        Parallel.For(0, cases.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var @case = cases[i];
            var table = TableProtector.Protect(@case.Table, @case.Rules);
            foreach (var (cell, model) in table.WeakerGuarantees)
            {
                weaker.AddOrUpdate(model, 1, (_, n) => n + 1);
            }

            foreach (var failure in Attack(table))
            {
                failures.Add($"table {i} [{@case}]: {failure}");
            }

            Interlocked.Add(ref checkedCells, table.PrimaryCount);
        });

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{cases.Count} tables, {checkedCells} primary cells, weaker guarantees: {string.Join(", ", weaker.Select(w => $"{w.Key} {w.Value}"))}; {failures.Count} too narrow; {stopwatch.Elapsed.TotalSeconds:F1} s"));
        failures.ShouldBeEmpty(string.Join(Environment.NewLine, failures.Take(20)));
    }

    [Fact]
    public void The_integer_attacker_pins_a_primary_that_a_zero_secondary_hides()
    {
        // 0 + x = 3 along a row, the zero suppressed as secondary: a secondary is 0 or at least 5, so x = 3.
        var table = Tables.Grid(new long[,] { { 3, 0, 9 }, { 8, 6, 10 } });
        var rules = new DisclosureRules { MinCount = 5 };
        var naive = Tables.WithPattern(table, rules, [table.Cell("r0", "c1"), table.Cell("r1", "c0"), table.Cell("r1", "c1")]);

        var (min, max) = IntegerAttacker.Ranges(Additivity.Equations(table), IntegerAttacker.Of(naive), 5, false, true, 1_000, [table.Cell("r0", "c0")]).Single().Value;

        (min, max).ShouldBe((3L, 3L));
    }

    /// <summary>The failures of one protected table against the integer attacker.</summary>
    internal static IEnumerable<string> Attack(ProtectedTable table)
    {
        var raw = table.Table;
        var equations = Additivity.Equations(raw);
        var big = (2 * raw.Counts[0]) + 10;
        var ceiling = IntegerAttacker.PrimaryUnderMinimum(raw, table.Rules);
        var knowledge = IntegerAttacker.Of(table);
        var primaries = Enumerable.Range(0, raw.CellCount).Where(c => table.Statuses[c] == CellStatus.SuppressedPrimary).ToList();
        var full = primaries.Where(c => table.GuaranteeOf(c) == Guarantee.Full).ToList();
        var floorOnly = primaries.Where(c => table.GuaranteeOf(c) == Guarantee.WithoutPrimaryCeiling).ToList();
        var ranges = IntegerAttacker.Ranges(equations, knowledge, table.Rules.MinCount, table.Rules.ProtectZeros, ceiling, big, full);
        foreach (var (cell, range) in IntegerAttacker.Ranges(equations, knowledge, table.Rules.MinCount, table.Rules.ProtectZeros, ceiling: false, big, floorOnly))
        {
            ranges[cell] = range;
        }

        foreach (var (cell, (min, max)) in ranges)
        {
            var required = Required(table, cell, ceiling && table.GuaranteeOf(cell) == Guarantee.Full);
            if (max - min < required)
            {
                yield return string.Create(CultureInfo.InvariantCulture,
                    $"cell {string.Join('/', raw.CodesOf(cell))} = {raw.Counts[cell]} ({table.GuaranteeOf(cell)}) ranges over [{min}, {max}], needs width {required}");
            }
        }
    }

    /// <summary>The width a primary must keep: the protection level (units or share), capped by [1, k−1], at least 1.</summary>
    internal static long Required(ProtectedTable table, int cell, bool ceiling)
    {
        var rules = table.Rules;
        var level = Math.Max(rules.ProtectionLevel, (long)Math.Ceiling(rules.ProtectionPercent * table.Table.Counts[cell] / 100));
        var open = ceiling ? rules.MinCount - 1 - (rules.ProtectZeros ? 0 : 1) : long.MaxValue;
        return Math.Max(1, Math.Min(level, open));
    }

    private static TableCase Generate(Random random)
    {
        var @case = RandomTables.Generate(random, new TableShape { MinDimensions = 2, MaxDimensions = 3, MaxCells = 100 });
        var rules = @case.Rules with
        {
            MinCount = random.Next(2) == 0 ? 5 : 11,
            Rounding = random.Next(3) switch { 0 => Rounding.Base5, 1 => Rounding.Midpoint6, _ => Rounding.None },
        };
        return new TableCase(@case.Table, rules, $"{@case.Description}; min {rules.MinCount}, rounding {rules.Rounding}");
    }
}
