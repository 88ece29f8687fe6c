namespace DataClauses.Disclosure.Tests;

public sealed class ProtectionLpTests
{
    // Unknowns x0, x1 with x0 + x1 = published (a row with two suppressed cells): d0 + d1 = 0.
    private static readonly (int, double)[][] Pair = [[(0, 1.0), (1, 1.0)]];

    [Fact]
    public void Two_free_unknowns_summing_to_a_published_total_can_both_move()
    {
        var lp = ProtectionLp.Create(2, Pair);

        lp.Direction(0, [false, false]).ShouldNotBeNull();
        lp.Direction(1, [false, false]).ShouldNotBeNull();
    }

    [Fact]
    public void When_neither_unknown_can_decrease_their_sum_pins_both()
    {
        // a + b = 0 with a, b ≥ 0 (zeros): the classic zero revealed by non-negativity.
        var lp = ProtectionLp.Create(2, Pair);

        lp.Direction(0, [true, true]).ShouldBeNull();
    }

    [Fact]
    public void When_one_unknown_cannot_decrease_the_other_moves_down()
    {
        var lp = ProtectionLp.Create(2, Pair);

        var direction = lp.Direction(0, [false, true]).ShouldNotBeNull();

        direction[0].ShouldBeLessThan(0);
        direction[1].ShouldBeGreaterThan(0);
    }

    [Fact]
    public void An_unknown_the_equations_determine_cannot_move()
    {
        // x0 = x1 + x2 and x1 = x2 = 0 by publication: x0 is determined.
        var lp = ProtectionLp.Create(3, [[(0, 1.0), (1, -1.0), (2, -1.0)]]).Without(1).Without(2);

        lp.Direction(0, [false, false, false]).ShouldBeNull();
        lp.Freedom.ShouldBe(0);
    }

    [Fact]
    public void Holding_an_unknown_removes_the_directions_through_it()
    {
        // x0 + x1 + x2 = total: with x2 held, x0 still moves against x1; with x1 held too, it is pinned.
        var lp = ProtectionLp.Create(3, [[(0, 1.0), (1, 1.0), (2, 1.0)]]);

        lp.Freedom.ShouldBe(2);
        lp.Without(2).Direction(0, [false, false, false]).ShouldNotBeNull();
        lp.Without(2).Without(1).Direction(0, [false, false, false]).ShouldBeNull();
    }

    [Fact]
    public void A_cycle_of_six_cells_moves_without_any_hypercube()
    {
        // In a 3×3 interior with published margins, the 6-cycle (0,0)+ (0,1)− (1,1)+ (1,2)− (2,2)+ (2,0)− is a direction.
        // Unknowns: 0:(0,0) 1:(0,1) 2:(1,1) 3:(1,2) 4:(2,2) 5:(2,0); rows and columns sum to published values.
        (int, double)[][] equations =
        [
            [(0, 1.0), (1, 1.0)], [(2, 1.0), (3, 1.0)], [(4, 1.0), (5, 1.0)], // rows
            [(0, 1.0), (5, 1.0)], [(1, 1.0), (2, 1.0)], [(3, 1.0), (4, 1.0)], // columns
        ];
        var lp = ProtectionLp.Create(6, equations);

        var direction = lp.Direction(0, new bool[6]).ShouldNotBeNull();

        direction.Select(Math.Sign).ShouldBe(direction[0] > 0 ? [1, -1, 1, -1, 1, -1] : [-1, 1, -1, 1, -1, 1]);
    }
}
