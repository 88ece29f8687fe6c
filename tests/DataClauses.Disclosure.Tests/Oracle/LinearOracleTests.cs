using FsCheck;
using FsCheck.Fluent;

namespace DataClauses.Disclosure.Tests.Oracle;

/// <summary>
/// Properties over thousands of random tables (2 to 4 dimensions, hierarchies, skewed small counts, random rules),
/// checked with an independent in-process oracle: Gaussian elimination on the additivity equations restricted to the
/// suppressed cells (<see cref="LinearOracle"/>). It ignores bounds (glpsol adds them on a few hundred tables), so it
/// is fast enough for thousands. Most tables are protected by the hypercube heuristic alone (the pattern of large
/// tables, and the start of the exact step on small ones), one in twenty by the whole protector with its exact step
/// (CP-SAT, about 0.15 s a table).
/// </summary>
public sealed class LinearOracleTests
{
    private static readonly Arbitrary<int> Seeds = Gen.Choose(0, int.MaxValue).ToArbitrary();

    [Fact]
    public void No_primary_cell_of_a_random_protected_table_is_determined_by_the_additivity_equations()
    {
        Prop.ForAll(Seeds, seed =>
        {
            var @case = RandomTables.Generate(new Random(seed), new TableShape { MaxCells = 150 });
            var table = Protect(@case, seed);
            var suppressed = Enumerable.Range(0, table.Table.CellCount).Select(table.IsSuppressed).ToArray();
            var determined = LinearOracle.DeterminedCells(table.Table, suppressed);
            var pinned = determined.Where(c => table.Statuses[c] == CellStatus.SuppressedPrimary).ToList();
            pinned.ShouldBeEmpty($"seed {seed} [{@case}]: {string.Join(", ", pinned.Select(c => string.Join('/', table.Table.CodesOf(c))))}");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000).WithQuietOnSuccess(true));
    }

    [Fact]
    public void Every_random_protected_table_passes_the_librarys_own_check_and_keeps_its_primary_cells()
    {
        Prop.ForAll(Seeds, seed =>
        {
            var @case = RandomTables.Generate(new Random(seed), new TableShape { MaxCells = 150 });
            var table = Protect(@case, seed);
            TableProtector.Unprotected(table).ShouldBeEmpty($"seed {seed} [{@case}]");
            var reasons = PrimarySuppression.Find(@case.Table, @case.Rules);
            for (var cell = 0; cell < table.Table.CellCount; cell++)
            {
                (table.Statuses[cell] == CellStatus.SuppressedPrimary).ShouldBe(reasons[cell] != SensitivityReasons.None, $"seed {seed}, cell {cell}");
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(1000).WithQuietOnSuccess(true));
    }

    [Fact]
    public void The_exact_step_never_costs_more_than_the_heuristic_and_keeps_every_primary_protected()
    {
        var improved = 0;
        Prop.ForAll(Seeds, seed =>
        {
            var @case = RandomTables.Generate(new Random(seed), new TableShape { MaxCells = 150 });
            var heuristic = TableProtector.ProtectByHypercubes(@case.Table, @case.Rules);
            var exact = TableProtector.Protect(@case.Table, @case.Rules);
            var (before, after) = (Cost(heuristic), Cost(exact));
            after.ShouldBeLessThanOrEqualTo(before, $"seed {seed} [{@case}]");
            improved += after < before ? 1 : 0;
            TableProtector.Unprotected(exact).ShouldBeEmpty($"seed {seed} [{@case}]");
            TableProtector.Protect(@case.Table, @case.Rules).Statuses.ShouldBe(exact.Statuses, $"seed {seed}: not deterministic");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60).WithQuietOnSuccess(true));

        // The step must do something on small tables, or it is dead code.
        improved.ShouldBeGreaterThan(6);
    }

    [Fact]
    public void The_linear_oracle_finds_a_cell_that_the_equations_determine()
    {
        // r0: 2 (primary) + 7 = 9; with only r0/c0 and r0/c1 suppressed, both are determined by the columns.
        var table = Tables.Grid(new long[,] { { 2, 7 }, { 8, 6 } });
        var suppressed = new bool[table.CellCount];
        suppressed[table.Cell("r0", "c0")] = true;
        suppressed[table.Cell("r0", "c1")] = true;

        LinearOracle.DeterminedCells(table, suppressed).ShouldBe([table.Cell("r0", "c0"), table.Cell("r0", "c1")], ignoreOrder: true);
    }

    /// <summary>One table in twenty through the whole protector, the others through the hypercube heuristic alone.</summary>
    private static ProtectedTable Protect(TableCase @case, int seed) =>
        seed % 20 == 0 ? TableProtector.Protect(@case.Table, @case.Rules) : TableProtector.ProtectByHypercubes(@case.Table, @case.Rules);

    /// <summary>What the secondary cells cost, in the unit both steps minimise: the count plus the median leaf count.</summary>
    private static double Cost(ProtectedTable table)
    {
        var weight = Math.Round(SecondarySuppression.CellWeightOf(table.Table));
        return Enumerable.Range(0, table.Table.CellCount).Where(c => table.Statuses[c] == CellStatus.SuppressedSecondary)
            .Sum(c => weight + table.Table.Counts[c] + (table.Rules.PublicCells.Contains(c) ? 1e9 : 0));
    }
}
