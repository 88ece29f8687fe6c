using DataClauses.Disclosure;
using DataClauses.Gateway.Queries;
using DataClauses.Policy.Engine;
using static DataClauses.Gateway.Tests.Queries.SmallCube;

namespace DataClauses.Gateway.Tests.Queries;

public sealed class QuerySliceTests
{
    private static Slice Take(string[] dimensions, params Filter[] filters) => QuerySlice.Take(Cube, dimensions, ["n", "m"], filters);

    private static List<string> Rows(Slice slice) => [.. slice.Rows.Select(r => string.Join('/', r.Codes))];

    [Fact]
    public void Qpv_by_type_gives_each_qpv_then_the_total_crossed_with_each_type_then_its_total()
    {
        var slice = Take(["qpv", "type"]);

        slice.Columns.Select(c => c.Name).ShouldBe(["qpv", "type"]);
        Rows(slice).ShouldBe(
        [
            $"{Q1}/a", $"{Q1}/b", $"{Q1}/Total",
            $"{Q2}/a", $"{Q2}/b", $"{Q2}/Total",
            $"{Q3}/a", $"{Q3}/b", $"{Q3}/Total",
            "Total/a", "Total/b", "Total/Total",
        ]);
    }

    [Fact]
    public void Columns_follow_the_order_of_the_requested_dimensions()
    {
        var slice = Take(["type", "qpv"]);

        slice.Columns.Select(c => c.Name).ShouldBe(["type", "qpv"]);
        Rows(slice).Take(4).ShouldBe([$"a/{Q1}", $"a/{Q2}", $"a/{Q3}", "a/Total"]);
    }

    [Fact]
    public void Qpv_with_commune_gives_qpv_rows_with_their_commune_then_each_commune_subtotal_then_the_total()
    {
        var slice = Take(["qpv", "commune"]);

        Rows(slice).ShouldBe([$"{Q1}/44901", $"{Q2}/44901", "Total/44901", $"{Q3}/44902", "Total/44902", "Total/Total"]);
    }

    [Fact]
    public void Commune_filter_on_qpv_rows_keeps_the_qpvs_of_that_commune_without_totals()
    {
        var slice = Take(["qpv"], new Filter("commune", ["44901"]));

        slice.Columns.Select(c => c.Name).ShouldBe(["qpv"]);
        Rows(slice).ShouldBe([Q1, Q2]);
    }

    [Fact]
    public void Single_value_filter_on_a_dimension_not_requested_fixes_the_slice_without_a_column()
    {
        var slice = Take(["qpv"], new Filter("type", ["b"]));

        slice.Columns.Select(c => c.Name).ShouldBe(["qpv"]);
        Rows(slice).ShouldBe([Q1, Q2, Q3, "Total"]);
        var typeB = Cube.Dimensions[1].Hierarchy.IndexOf("b");
        slice.Rows.ShouldAllBe(r => r.Cell % Cube.Dimensions[1].Hierarchy.Count == typeB);
    }

    [Fact]
    public void Several_values_filter_on_a_dimension_not_requested_becomes_a_column_limited_to_them_in_contract_order()
    {
        var slice = Take([], new Filter("type", ["b", "a"]));

        slice.Columns.Select(c => c.Name).ShouldBe(["type"]);
        Rows(slice).ShouldBe(["a", "b"]);
    }

    [Fact]
    public void Filter_on_a_requested_dimension_keeps_its_values_and_drops_its_total()
    {
        var slice = Take(["type"], new Filter("type", ["b"]));

        Rows(slice).ShouldBe(["b"]);
    }

    [Fact]
    public void Single_geographic_filter_without_geographic_dimension_fixes_the_place()
    {
        var slice = Take(["type"], new Filter("qpv", [Q3]));

        slice.Columns.Select(c => c.Name).ShouldBe(["type"]);
        Rows(slice).ShouldBe(["a", "b", "Total"]);
        var q3 = Cube.Dimensions[0].Hierarchy.IndexOf(Q3);
        slice.Rows.Select(r => r.Cell).ShouldBe([Cube.IndexOf([q3, 1]), Cube.IndexOf([q3, 2]), Cube.IndexOf([q3, 0])]);
        slice.Rows.Select(r => r.Values[0]).ShouldBe([7m, 6m, 13m]);
    }

    [Fact]
    public void Geographic_filter_finer_than_the_requested_level_becomes_a_column()
    {
        var slice = Take(["commune"], new Filter("qpv", [Q3, Q1]));

        slice.Columns.Select(c => c.Name).ShouldBe(["commune", "qpv"]);
        Rows(slice).ShouldBe([$"44901/{Q1}", $"44902/{Q3}"]);
    }

    [Fact]
    public void No_dimension_asks_for_the_grand_total_only()
    {
        var slice = Take([]);

        slice.Columns.ShouldBeEmpty();
        slice.Rows.Count.ShouldBe(1);
        slice.Rows[0].Cell.ShouldBe(0);
        slice.Rows[0].Values[0].ShouldBe(42m);
    }

    [Fact]
    public void Suppressed_cells_come_without_values_and_published_cells_with_the_cube_values()
    {
        var slice = Take(["qpv", "type"]);

        slice.Rows.ShouldContain(r => r.Status == CellStatus.SuppressedPrimary);
        slice.SuppressedCount.ShouldBe(slice.Rows.Count(r => r.IsSuppressed));
        foreach (var row in slice.Rows)
        {
            if (row.IsSuppressed)
            {
                row.Values.ShouldAllBe(v => v == null);
            }
            else
            {
                row.Values[0].ShouldBe(Cube.ValueOf(0, row.Cell));
                row.Values[1].ShouldBe(row.Values[0] * 10.25m);
            }
        }

        slice.Rows.Single(r => r.Codes is [Q1, "b"]).Status.ShouldBe(CellStatus.SuppressedPrimary);
    }

    [Fact]
    public void Every_row_is_the_cube_cell_its_codes_name()
    {
        var slice = Take(["qpv", "commune", "type"]);

        foreach (var row in slice.Rows)
        {
            var geo = row.Codes[0] != "Total" ? row.Codes[0] : row.Codes[1];
            var type = row.Codes[2];
            var expected = Cube.IndexOf([Cube.Dimensions[0].Hierarchy.IndexOf(geo) is var g and >= 0 ? g : 0, Cube.Dimensions[1].Hierarchy.IndexOf(type)]);
            row.Cell.ShouldBe(expected, string.Join('/', row.Codes));
            row.Status.ShouldBe(Cube.StatusOf(row.Cell));
        }
    }

    [Fact]
    public void Measures_come_in_the_order_asked()
    {
        var slice = QuerySlice.Take(Cube, [], ["m", "n"], []);

        slice.Measures.Select(m => m.Name).ShouldBe(["m", "n"]);
        slice.Rows[0].Values.ShouldBe([430.50m, 42m]);
    }
}
