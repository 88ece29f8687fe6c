using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace DataClauses.Disclosure.Tests.Oracle;

/// <summary>
/// The protection property, checked by an attacker who solves linear programmes with GLPK (glpsol): for every primary
/// cell of a few hundred random protected tables, the interval of its count, and of each of its sums as seen by an
/// outsider and by the insiders nearest to it, is wider than a point.
/// </summary>
public sealed class AttackerOracleTests(ITestOutputHelper output)
{
    private const int TableCount = 300;

    [Fact]
    public void No_primary_cell_of_a_random_protected_table_is_pinned_by_the_attackers_linear_programmes()
    {
        Glpsol.IsInstalled.ShouldBeTrue("glpsol is missing: apt-get install glpk-utils (./test.sh installs it)");
        var random = new Random(20261121);
        var cases = Enumerable.Range(0, TableCount).Select(_ => RandomTables.Generate(random, new TableShape { MaxCells = 120 })).ToList();
        var failures = new ConcurrentBag<string>();
        var intervals = 0;
        var primaries = 0;
        var stopwatch = Stopwatch.StartNew();
        Parallel.For(0, cases.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var @case = cases[i];
            var table = TableProtector.Protect(@case.Table, @case.Rules);
            Interlocked.Add(ref primaries, table.PrimaryCount);
            foreach (var interval in AttackerOracle.Intervals(table))
            {
                Interlocked.Increment(ref intervals);
                if (interval.Width <= 1e-6)
                {
                    var insider = interval.Insider < 0 ? "an outsider" : "the insider of " + string.Join('/', @case.Table.CodesOf(interval.Insider));
                    failures.Add(string.Create(CultureInfo.InvariantCulture,
                        $"table {i} [{@case}]: cell {string.Join('/', @case.Table.CodesOf(interval.Cell))}, {(interval.Measure < 0 ? "count" : "sum " + interval.Measure)}, for {insider}: [{interval.Min}, {interval.Max}]"));
                }
            }
        });

        output.WriteLine($"{cases.Count} tables, {primaries} primary cells, {intervals} attacker intervals (min and max LPs), {failures.Count} pinned; {stopwatch.Elapsed.TotalSeconds:F1} s");
        failures.ShouldBeEmpty(string.Join(Environment.NewLine, failures.Take(20)));
    }

    [Fact]
    public void The_oracle_pins_a_primary_cell_that_only_one_other_suppression_hides()
    {
        // The oracle must be able to fail: a primary and one other cell of its row suppressed, the row total published.
        var table = Tables.Grid(new long[,] { { 2, 7, 9 }, { 8, 6, 10 } });
        var rules = new DisclosureRules { MinCount = 3 };
        var naive = Tables.WithPattern(table, rules, [table.Cell("r0", "c1")]);

        var interval = AttackerOracle.Intervals(naive).ShouldHaveSingleItem();

        interval.Width.ShouldBe(0, 1e-9);
        interval.Min.ShouldBe(2, 1e-9);
    }
}
