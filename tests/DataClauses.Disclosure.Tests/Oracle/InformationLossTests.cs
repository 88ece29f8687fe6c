using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace DataClauses.Disclosure.Tests.Oracle;

/// <summary>
/// Information loss of the library's pattern against the optimum (an exact integer programme solved by glpsol, see
/// <see cref="OptimalSuppression"/>) on small tables: 4×4 and 3×5 with totals, a 3-level hierarchy (EPCI ⊃ communes ⊃
/// QPV) × 4 categories, and 3×3×2 — counts only (insiders concern sums), random minimum counts and protected zeros,
/// the default protection level. The optimum is that of the same protection model with a continuous attacker, a lower
/// bound of the integer one (so the ratios overstate ours). The goals of issue 11 — median ratio at most 1.15 and 90th
/// percentile at most 1.3, for the number of suppressed cells and for the suppressed value — are not met yet; the test
/// guards today's level. Tables whose primaries the statuses
/// pin (no pattern exists, the library falls back, see <see cref="Guarantee"/>) are counted apart. The figures are printed for docs/BENCHMARKS.md:
/// <c>DATACLAUSES_INFORMATION_LOSS_TABLES=60 dotnet test tests/DataClauses.Disclosure.Tests --filter InformationLoss --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class InformationLossTests(ITestOutputHelper output)
{
    // The suite guards on the first 24 tables of the sample (about a minute); docs/BENCHMARKS.md reports all 60:
    // DATACLAUSES_INFORMATION_LOSS_TABLES=60. The same seed makes the first tables the same in both.
    private static readonly int TableCount =
        int.TryParse(Environment.GetEnvironmentVariable("DATACLAUSES_INFORMATION_LOSS_TABLES"), CultureInfo.InvariantCulture, out var count) && count > 0 ? count : 24;

    private static readonly (string Name, IReadOnlyList<Dimension> Dimensions)[] Shapes =
    [
        ("4×4", [Tables.Flat("r", 4), Tables.Flat("c", 4)]),
        ("3×5", [Tables.Flat("r", 3), Tables.Flat("c", 5)]),
        ("EPCI⊃2 communes⊃5 QPV × 4", [new Dimension("geo", Hierarchy.FromParents([("A", null), ("B", null), ("a1", "A"), ("a2", "A"), ("b1", "B"), ("b2", "B"), ("b3", "B")])), Tables.Flat("c", 4)]),
        ("3×3×2", [Tables.Flat("x", 3), Tables.Flat("y", 3), Tables.Flat("z", 2)]),
    ];

    [Fact]
    public void The_suppression_pattern_stays_within_today_s_ratio_to_the_optimum_at_the_median_and_the_90th_percentile()
    {
        Glpsol.IsInstalled.ShouldBeTrue("glpsol is missing: apt-get install glpk-utils (./test.sh installs it)");
        var random = new Random(7);
        var rows = new List<(string Shape, double Ours, double Optimum, double OursValue, double OptimumValue)>();
        var pinned = 0;
        for (var i = 0; i < TableCount; i++)
        {
            var (name, dimensions) = Shapes[i % Shapes.Length];
            var rules = new DisclosureRules { MinCount = random.Next(4, 7), ProtectZeros = random.Next(5) == 0 };
            var @case = RandomTables.Fill(random, dimensions, 0, rules, name);
            var table = TableProtector.Protect(@case.Table, rules);
            var fewest = OptimalSuppression.Optimum(@case.Table, rules, LossWeight.Cells);
            var least = OptimalSuppression.Optimum(@case.Table, rules, LossWeight.Value);
            if (fewest is null || least is null || table.WeakerGuarantees.Count > 0)
            {
                // No pattern gives every primary its width (or glpsol ran out of time): not comparable.
                pinned++;
                continue;
            }

            var ours = Enumerable.Range(0, table.Table.CellCount).Where(c => table.Statuses[c] == CellStatus.SuppressedSecondary).ToList();
            rows.Add((name,
                OptimalSuppression.Loss(@case.Table, ours, LossWeight.Cells), OptimalSuppression.Loss(@case.Table, fewest, LossWeight.Cells),
                OptimalSuppression.Loss(@case.Table, ours, LossWeight.Value), OptimalSuppression.Loss(@case.Table, least, LossWeight.Value)));
        }

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"{TableCount} tables, {pinned} not compared (no pattern for every primary, a fallback guarantee, or no optimum proved in 30 s); ratios over the tables whose optimum is not 0 (ours = optimum = 0 elsewhere unless listed)");
        report.AppendLine("| tables | n | cells: median / p90 / mean ratio | cells: total ours/optimum | value: median / p90 / mean ratio | value: total ours/optimum |");
        report.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var group in rows.GroupBy(r => r.Shape).Append(rows.GroupBy(_ => "all").Single()))
        {
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {group.Key} | {group.Count()} | {Ratio(group.Select(r => (r.Ours, r.Optimum)), 0.5):F3} / {Ratio(group.Select(r => (r.Ours, r.Optimum)), 0.9):F3} / {MeanRatio(group.Select(r => (r.Ours, r.Optimum))):F3} | {group.Sum(r => r.Ours)}/{group.Sum(r => r.Optimum)} = {group.Sum(r => r.Ours) / group.Sum(r => r.Optimum):F3} | {Ratio(group.Select(r => (r.OursValue, r.OptimumValue)), 0.5):F3} / {Ratio(group.Select(r => (r.OursValue, r.OptimumValue)), 0.9):F3} / {MeanRatio(group.Select(r => (r.OursValue, r.OptimumValue))):F3} | {group.Sum(r => r.OursValue)}/{group.Sum(r => r.OptimumValue)} = {group.Sum(r => r.OursValue) / group.Sum(r => r.OptimumValue):F3} |");
        }

        var extraCells = rows.Count(r => r.Optimum == 0 && r.Ours > 0);
        var extraValue = rows.Count(r => r.OptimumValue == 0 && r.OursValue > 0);
        report.AppendLine(CultureInfo.InvariantCulture, $"tables whose optimum is 0 but ours is not: {extraCells} (cells), {extraValue} (value)");
        output.WriteLine(report.ToString());

        // The goals of issue 11 (median ≤ 1.15, p90 ≤ 1.3 of the optimum, cells and value; docs/BENCHMARKS.md): met since
        // the exact step on small tables (median 1.0, p90 1.25 / 1.06 on this sample, 2026-12-07).
        Ratio(rows.Select(r => (r.Ours, r.Optimum)), 0.5).ShouldBeLessThanOrEqualTo(1.15, report.ToString());
        Ratio(rows.Select(r => (r.Ours, r.Optimum)), 0.9).ShouldBeLessThanOrEqualTo(1.3, report.ToString());
        Ratio(rows.Select(r => (r.OursValue, r.OptimumValue)), 0.5).ShouldBeLessThanOrEqualTo(1.15, report.ToString());
        Ratio(rows.Select(r => (r.OursValue, r.OptimumValue)), 0.9).ShouldBeLessThanOrEqualTo(1.3, report.ToString());
        extraCells.ShouldBe(0, report.ToString());
    }

    [Fact]
    public void The_pattern_is_never_better_than_the_optimum_which_checks_the_integer_programme()
    {
        // The optimum is a lower bound: a protected pattern suppressing fewer cells would mean a wrong model.
        var random = new Random(11);
        for (var i = 0; i < 12; i++)
        {
            var (name, dimensions) = Shapes[i % Shapes.Length];
            var rules = new DisclosureRules { MinCount = 4 };
            var @case = RandomTables.Fill(random, dimensions, 0, rules, name);
            var table = TableProtector.Protect(@case.Table, rules);
            if (OptimalSuppression.Optimum(@case.Table, rules, LossWeight.Cells) is not { } fewest || table.WeakerGuarantees.Count > 0)
            {
                continue;
            }

            table.SecondaryCount.ShouldBeGreaterThanOrEqualTo(fewest.Count, $"table {i} [{@case}]");

            // And the optimal pattern itself protects every primary, as the attacker's LPs confirm.
            var optimal = Tables.WithPattern(@case.Table, rules, fewest);
            AttackerOracle.Intervals(optimal).ShouldAllBe(interval => interval.Width > 1e-6, $"table {i} [{@case}]");
        }
    }

    /// <summary>The ratio at quantile <paramref name="q"/> (nearest rank) over the tables whose optimum is not 0.</summary>
    private static double Ratio(IEnumerable<(double Ours, double Optimum)> pairs, double q)
    {
        var ratios = pairs.Where(p => p.Optimum > 0).Select(p => p.Ours / p.Optimum).Order().ToList();
        return ratios.Count == 0 ? 1 : ratios[Math.Clamp((int)Math.Ceiling(q * ratios.Count) - 1, 0, ratios.Count - 1)];
    }

    private static double MeanRatio(IEnumerable<(double Ours, double Optimum)> pairs)
    {
        var ratios = pairs.Where(p => p.Optimum > 0).Select(p => p.Ours / p.Optimum).ToList();
        return ratios.Count == 0 ? 1 : ratios.Average();
    }
}
