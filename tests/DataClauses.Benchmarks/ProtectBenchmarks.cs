using BenchmarkDotNet.Attributes;
using DataClauses.Disclosure;

namespace DataClauses.Benchmarks;

/// <summary>
/// Protection of a large hierarchical table (<see cref="QpvTable"/>): about 1,400 QPV in 280 communes in 50 EPCIs ×
/// 10 household types × 10 age bands, every marginal included (209,451 cells), skewed counts with many small cells.
/// The goal: <see cref="TableProtector.Protect(Table, DisclosureRules)"/> in at most 5 s on one core. The roll-up is measured separately.
/// A protection takes seconds: run it as a monitoring job (one operation per iteration, a fixed number of
/// iterations), which also keeps the in-process toolchain within its time limit (docs/BENCHMARKS.md has the command).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class ProtectBenchmarks
{
    private static readonly DisclosureRules Rules = new() { MinCount = 5, PublicCells = new HashSet<int> { 0 } };
    private QpvTable _data = null!;
    private Table _table = null!;

    /// <summary>Generates the leaf counts and builds the table once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _data = QpvTable.Generate();
        _table = _data.Build();
        var protectedTable = TableProtector.Protect(_table, Rules);
        if (protectedTable.PrimaryCount == 0 || protectedTable.Statuses.All(s => s != CellStatus.Published))
        {
            throw new InvalidOperationException("The benchmark table should have primaries and published cells.");
        }

        Console.WriteLine($"// {_table.CellCount} cells, {protectedTable.PrimaryCount} primary and {protectedTable.SecondaryCount} secondary suppressions");
    }

    /// <summary>Adds the 140,000 leaf aggregates and rolls every marginal up through the hierarchies.</summary>
    [Benchmark]
    public Table Build_and_roll_up() => _data.Build();

    /// <summary>Primary rules, secondary suppression over the whole table, rounding.</summary>
    [Benchmark]
    public ProtectedTable Protect_qpv_table() => TableProtector.Protect(_table, Rules);
}

/// <summary>
/// A deterministic table like a CAF's households by QPV: QPV ⊂ commune ⊂ EPCI (1,400 QPV in 280 communes in 50
/// EPCIs; most communes have a few QPV, a few cities many) × household type (10) × age band (10). QPV sizes are
/// log-normal, category shares decrease geometrically, so there are many empty and small cells.
/// </summary>
public sealed class QpvTable
{
    private QpvTable(IReadOnlyList<Dimension> dimensions, List<(string[] Codes, long Count)> leaves)
    {
        Dimensions = dimensions;
        Leaves = leaves;
    }

    /// <summary>The three dimensions (geography with its hierarchy, then the two categories).</summary>
    public IReadOnlyList<Dimension> Dimensions { get; }

    /// <summary>The count of every leaf cell.</summary>
    public IReadOnlyList<(string[] Codes, long Count)> Leaves { get; }

    /// <summary>Generates the table's leaves (seeded: the same table every time).</summary>
    public static QpvTable Generate(int epcis = 50, int communes = 280, int qpvs = 1_400, int categories = 10)
    {
        var random = new Random(2030);
        var pairs = new List<(string, string?)>();
        var communeCodes = new List<string>();
        for (var e = 0; e < epcis; e++)
        {
            pairs.Add(($"E{e:D2}", null));
        }

        for (var c = 0; c < communes; c++)
        {
            var code = $"C{c:D3}";
            communeCodes.Add(code);
            pairs.Add((code, $"E{c % epcis:D2}"));
        }

        // Every commune has a QPV; the others go to communes with a skewed preference (a few large cities).
        var qpvCommune = Enumerable.Range(0, communes).ToList();
        while (qpvCommune.Count < qpvs)
        {
            var u = random.NextDouble();
            qpvCommune.Add((int)(communes * u * u * u));
        }

        for (var q = 0; q < qpvs; q++)
        {
            pairs.Add(($"Q{q:D4}", communeCodes[qpvCommune[q]]));
        }

        var geography = new Dimension("qpv", Hierarchy.FromParents(pairs));
        var household = new Dimension("type_menage", Hierarchy.Flat(Enumerable.Range(0, categories).Select(i => $"M{i}")));
        var age = new Dimension("tranche_age", Hierarchy.Flat(Enumerable.Range(0, categories).Select(i => $"A{i}")));
        var shares = Enumerable.Range(0, categories).Select(i => Math.Pow(0.7, i)).ToArray();
        var total = shares.Sum();
        var leaves = new List<(string[], long)>(qpvs * categories * categories);
        for (var q = 0; q < qpvs; q++)
        {
            // Log-normal size: median about 400 households, from a few dozen to several thousand.
            var size = Math.Exp(6 + (0.9 * Gaussian(random)));
            for (var m = 0; m < categories; m++)
            {
                for (var a = 0; a < categories; a++)
                {
                    var expected = size * shares[m] / total * shares[a] / total;
                    var count = (long)Math.Floor(expected + random.NextDouble());
                    if (count > 0)
                    {
                        leaves.Add(([$"Q{q:D4}", $"M{m}", $"A{a}"], count));
                    }
                }
            }
        }

        return new QpvTable([geography, household, age], leaves);
    }

    /// <summary>Builds the table: the leaf aggregates, then every marginal.</summary>
    public Table Build()
    {
        var builder = new TableBuilder(Dimensions);
        foreach (var (codes, count) in Leaves)
        {
            builder.AddAggregate(codes, count);
        }

        return builder.Build();
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
