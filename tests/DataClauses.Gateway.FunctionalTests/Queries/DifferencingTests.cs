using System.Text.Json;
using DataClauses.Disclosure;
using DataClauses.Gateway.FunctionalTests.Extracts;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using static DataClauses.Gateway.FunctionalTests.Queries.QueryHosts;

namespace DataClauses.Gateway.FunctionalTests.Queries;

/// <summary>
/// The differencing attack: an analyst asks households by QPV and by commune (two overlapping queries), hoping that
/// a commune's total minus its published QPVs isolates a small QPV cell, as it would if each query were protected on
/// its own. Both answers are slices of one protected cube, so the attacker learns nothing: no published total has
/// exactly one suppressed part, and the attacker's linear programmes over everything both answers publish leave every
/// primary suppressed cell an interval at least one household wide. The answers mark every secret cell alike
/// (ADR 0006): which cells are primary is read from the stored cube, which the attacker never sees.
/// </summary>
public abstract class DifferencingTests(SeededQueryFixture fixture)
{
    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task Two_overlapping_queries_cannot_be_subtracted_to_reveal_a_suppressed_cell()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        var byQpvAnswer = await QueryOkAsync(analyst, CafByQpvAndType());
        var byQpv = Cells(byQpvAnswer);
        var byCommune = Cells(await QueryOkAsync(analyst, new { dataset = Caf, version = CafVersion, purpose = "observation", dimensions = new[] { "commune", "type_menage" }, measures = new[] { "foyers" } }));
        var cube = await StoredCubeOfAsync(Host, byQpvAnswer);

        // The attacker's view: every cell of both answers, keyed by (place, type); the shared totals must agree.
        var view = new Dictionary<(string Place, string Type), JsonElement>();
        foreach (var cell in byQpv)
        {
            view[(cell.GetProperty("qpv").GetString()!, cell.GetProperty("type_menage").GetString()!)] = cell;
        }

        foreach (var cell in byCommune)
        {
            var key = (cell.GetProperty("commune").GetString()!, cell.GetProperty("type_menage").GetString()!);
            if (view.TryGetValue(key, out var same))
            {
                cell.GetRawText().Replace("\"commune\"", "\"qpv\"", StringComparison.Ordinal).ShouldBe(same.GetRawText(), "the grand totals are one cube's cells");
            }

            view[key] = cell;
        }

        bool IsPrimary((string Place, string Type) key) => cube.StatusOf(ExtractHosts.CellOf(
            cube,
            new Dictionary<string, string>(StringComparer.Ordinal) { [QpvCommunes.ContainsKey(key.Place) ? "qpv" : "commune"] = key.Place, ["type_menage"] = key.Type },
            new Dictionary<string, string[]>(StringComparer.Ordinal))) == CellStatus.SuppressedPrimary;
        var primaries = view.Keys.Where(IsPrimary).ToList();
        primaries.ShouldAllBe(p => view[p].GetProperty("status").GetString() == "secret");
        primaries.Where(p => QpvCommunes.ContainsKey(p.Place)).ShouldNotBeEmpty("the demo data has small QPV cells to protect");

        // 1. Differences: no published cell is its parts plus exactly one suppressed part, along any hierarchy.
        string[] types = [.. HouseholdTypes, "Total"];
        var communes = QpvCommunes.Values.Distinct().ToArray();
        foreach (var type in types)
        {
            ShouldNotIsolate(view, ("Total", type), communes.Select(c => (c, type)));
            foreach (var commune in communes)
            {
                ShouldNotIsolate(view, (commune, type), QpvCommunes.Where(q => q.Value == commune).Select(q => (q.Key, type)));
            }
        }

        foreach (var place in view.Keys.Select(k => k.Place).Distinct())
        {
            ShouldNotIsolate(view, (place, "Total"), HouseholdTypes.Select(t => (place, t)));
        }

        // 2. The attacker's best: linear programmes over all published cells, non-negativity, primaries not empty. The
        //    answers no longer say which secret cells are primary; the attacker is granted it anyway (the stronger one).
        var leaves = QpvCommunes.Keys.SelectMany(q => HouseholdTypes.Select(t => (q, t))).Select((leaf, i) => (leaf, i)).ToDictionary(p => p.leaf, p => p.i);
        int[] LeavesOf((string Place, string Type) cell) => [.. leaves.Where(l =>
            (cell.Place == "Total" || cell.Place == l.Key.q || cell.Place == QpvCommunes[l.Key.q])
            && (cell.Type == "Total" || cell.Type == l.Key.t)).Select(l => l.Value)];
        var lp = new AttackerLp();
        foreach (var (key, cell) in view)
        {
            if (cell.GetProperty("foyers").ValueKind == JsonValueKind.Number)
            {
                lp.Published(LeavesOf(key), cell.GetProperty("foyers").GetInt64());
            }
            else if (IsPrimary(key))
            {
                lp.AtLeast(LeavesOf(key), 1);
            }
        }

        foreach (var primary in primaries)
        {
            var (min, max) = lp.Interval(LeavesOf(primary));
            (max - min).ShouldBeGreaterThanOrEqualTo(1 - 1e-6, $"{primary.Place}/{primary.Type} is pinned to [{min}, {max}]");
        }
    }

    private static void ShouldNotIsolate(Dictionary<(string Place, string Type), JsonElement> view, (string Place, string Type) total, IEnumerable<(string Place, string Type)> parts)
    {
        if (!view.TryGetValue(total, out var cell) || cell.GetProperty("foyers").ValueKind != JsonValueKind.Number)
        {
            return;
        }

        var present = parts.Where(view.ContainsKey).ToList();
        var suppressed = present.Count(p => view[p].GetProperty("foyers").ValueKind == JsonValueKind.Null);
        suppressed.ShouldNotBe(1, $"{total.Place}/{total.Type} minus its published parts would give the one suppressed part away");
    }
}

public sealed class DifferencingTests_on_Sqlite(SeededSqliteQueries fixture) : DifferencingTests(fixture), IClassFixture<SeededSqliteQueries>;

public sealed class DifferencingTests_on_PostgreSql(SeededPostgreSqlQueries fixture) : DifferencingTests(fixture), IClassFixture<SeededPostgreSqlQueries>;
