using System.Text;
using System.Text.Json;
using DataClauses.Disclosure;
using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Queries;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Tests.Queries;

/// <summary>
/// The recipient's answer never tells why a cell is secret (ADR 0006): on cubes with random statuses, turning every
/// primary into a secondary, or the reverse, leaves the JSON and CSV bytes unchanged; with reasons, each cell's
/// reason is its cube status.
/// </summary>
public sealed class QueryAnswerTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    private static readonly string[][] Shapes = [["qpv", "type"], ["commune", "type"], ["type"], ["qpv", "commune"], []];

    [Fact]
    public void An_answer_is_the_same_bytes_whatever_kind_each_secret_cell_is()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var random = new Random(seed);
            var statuses = RandomStatuses(random);
            var shape = Shapes[seed % Shapes.Length];
            var asIs = Answer(statuses, shape);
            var allPrimary = Answer([.. statuses.Select(s => s == CellStatus.SuppressedSecondary ? CellStatus.SuppressedPrimary : s)], shape);
            var allSecondary = Answer([.. statuses.Select(s => s == CellStatus.SuppressedPrimary ? CellStatus.SuppressedSecondary : s)], shape);

            var json = Encoding.UTF8.GetString(asIs.ToJson());
            Encoding.UTF8.GetString(allPrimary.ToJson()).ShouldBe(json, $"seed {seed}");
            Encoding.UTF8.GetString(allSecondary.ToJson()).ShouldBe(json, $"seed {seed}");
            allPrimary.ToCsv().ShouldBe(asIs.ToCsv(), $"seed {seed}");
            allSecondary.ToCsv().ShouldBe(asIs.ToCsv(), $"seed {seed}");

            // Beyond the clause's own public rules (obligations, decision), no member names a kind.
            using var document = JsonDocument.Parse(json);
            var members = string.Concat(document.RootElement.EnumerateObject().Where(p => p.Name is not ("obligations" or "decision")).Select(p => p.ToString()));
            var csv = Encoding.UTF8.GetString(asIs.ToCsv());
            foreach (var word in new[] { "primary", "secondary", "reason", "motif" })
            {
                members.ShouldNotContain(word, Case.Insensitive, $"seed {seed}");
                csv.ShouldNotContain(word, Case.Insensitive, $"seed {seed}");
            }

            var cells = document.RootElement.GetProperty("cells").EnumerateArray().ToList();
            for (var i = 0; i < cells.Count; i++)
            {
                var secret = asIs.Slice.Rows[i].IsSuppressed;
                cells[i].GetProperty("status").GetString().ShouldBe(secret ? "secret" : QueryAnswer.StatusName(asIs.Slice.Rows[i].Status), $"seed {seed}");
            }

            document.RootElement.GetProperty("cellsSuppressed").GetInt32().ShouldBe(asIs.Slice.Rows.Count(r => r.IsSuppressed));
        }
    }

    [Fact]
    public void With_reasons_each_cell_says_its_cube_status_in_json_and_csv()
    {
        var random = new Random(11);
        var statuses = RandomStatuses(random);
        statuses[0] = CellStatus.SuppressedPrimary;
        statuses[1] = CellStatus.SuppressedSecondary;
        var answer = Answer(statuses, ["qpv", "type"]) with { WithReasons = true };

        using var document = JsonDocument.Parse(answer.ToJson());
        var cells = document.RootElement.GetProperty("cells").EnumerateArray().ToList();
        var csv = Encoding.UTF8.GetString(answer.ToCsv()).TrimStart('\uFEFF').TrimEnd('\r', '\n').Split("\r\n");
        csv[0].ShouldBe("qpv;type;n;m;statut;motif");
        var expected = answer.Slice.Rows.Select(r => QueryAnswer.ReasonName(r.Status)).ToList();
        cells.Select(c => c.GetProperty("reason").ValueKind == JsonValueKind.Null ? null : c.GetProperty("reason").GetString()).ShouldBe(expected);
        csv.Skip(1).Select(l => l.Split(';')[^1]).ShouldBe(expected.Select(e => e ?? string.Empty));
        var split = document.RootElement.GetProperty("cellsSuppressedByReason");
        split.GetProperty("primary").GetInt32().ShouldBe(expected.Count(e => e == "primary"));
        split.GetProperty("secondary").GetInt32().ShouldBe(expected.Count(e => e == "secondary"));
        expected.ShouldContain("primary");
        expected.ShouldContain("secondary");
    }

    private static CellStatus[] RandomStatuses(Random random) =>
        [.. Enumerable.Range(0, SmallCube.Cube.CellCount).Select(_ => (CellStatus)random.Next(4))];

    /// <summary>The small cube's answer for a shape, with these statuses (a published cell keeps the cube's values).</summary>
    private static QueryAnswer Answer(CellStatus[] statuses, string[] dimensions)
    {
        var source = SmallCube.Cube;
        var counts = new long[source.CellCount];
        var sums = new long[source.CellCount];
        for (var cell = 0; cell < source.CellCount; cell++)
        {
            counts[cell] = cell * 3;
            sums[cell] = cell * 1025;
        }

        var cube = new ProtectedCube(source.Key, source.BuiltAt, source.Dimensions, source.Measures, statuses, counts, [sums]);
        var request = new DecisionRequest
        {
            Requester = new Requester("caf-44-analyst", "caf-44", ["analyst"]),
            Action = PolicyAction.Query,
            Dataset = "d",
            Dimensions = dimensions,
            Measures = ["n", "m"],
            Purpose = "observation",
        };
        var decision = DecisionEngine.Decide(ContractSet.Create([SmallCube.Contract]), request, Now);
        decision.Effect.ShouldBe(Effect.Permit);
        var version = new PublishedVersion("d", "2024-12-31", "dv_d_1", 42, Now, new string('f', 64), ["qpv", "commune", "type", "n", "m"]);
        var slice = QuerySlice.Take(cube, dimensions, ["n", "m"], []);
        return new QueryAnswer(request, decision, new OpenedCube(version, SmallCube.Definition(), cube), slice, "corr");
    }
}
