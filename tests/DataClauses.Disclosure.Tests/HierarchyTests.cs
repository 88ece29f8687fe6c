namespace DataClauses.Disclosure.Tests;

public sealed class HierarchyTests
{
    [Fact]
    public void A_flat_hierarchy_is_a_total_over_its_categories()
    {
        var hierarchy = Hierarchy.Flat(["couple", "single", "family"]);

        hierarchy.Codes.ShouldBe(["Total", "couple", "single", "family"]);
        hierarchy.Parents.ShouldBe([-1, 0, 0, 0]);
        hierarchy.Children[0].ShouldBe([1, 2, 3]);
        hierarchy.Depths.ShouldBe([0, 1, 1, 1]);
        hierarchy.IsLeaf(0).ShouldBeFalse();
        hierarchy.IsLeaf(2).ShouldBeTrue();
        hierarchy.IndexOf("single").ShouldBe(2);
        hierarchy.IndexOf("nobody").ShouldBe(-1);
    }

    [Fact]
    public void A_nested_hierarchy_may_declare_children_before_their_parents()
    {
        // QPV ⊂ commune ⊂ EPCI, listed leaves first.
        var hierarchy = Hierarchy.FromParents([("QN1", "44109"), ("QN2", "44109"), ("QN3", "44190"), ("44109", "EPCI"), ("44190", "EPCI"), ("EPCI", null)]);

        hierarchy.Count.ShouldBe(7);
        var epci = hierarchy.IndexOf("EPCI");
        var nantes = hierarchy.IndexOf("44109");
        hierarchy.Parents[epci].ShouldBe(0);
        hierarchy.Parents[nantes].ShouldBe(epci);
        hierarchy.Parents[hierarchy.IndexOf("QN3")].ShouldBe(hierarchy.IndexOf("44190"));
        hierarchy.Children[nantes].Select(c => hierarchy.Codes[c]).ShouldBe(["QN1", "QN2"]);
        hierarchy.Depths[hierarchy.IndexOf("QN1")].ShouldBe(3);
        hierarchy.Depths[epci].ShouldBe(1);
        hierarchy.BottomUp.Take(3).Select(c => hierarchy.Codes[c]).ShouldBe(["QN1", "QN2", "QN3"]);
    }

    [Fact]
    public void A_custom_total_name_is_the_root()
    {
        var hierarchy = Hierarchy.Flat(["a", "b"], total: "Ensemble");

        hierarchy.Codes[0].ShouldBe("Ensemble");
        hierarchy.IndexOf("Total").ShouldBe(-1);
    }

    [Fact]
    public void A_code_declared_twice_is_rejected()
    {
        var error = Should.Throw<ArgumentException>(() => Hierarchy.FromParents([("a", null), ("b", null), ("a", "b")]));

        error.Message.ShouldContain("'a' appears twice");
    }

    [Fact]
    public void A_code_named_like_the_total_is_rejected()
    {
        Should.Throw<ArgumentException>(() => Hierarchy.Flat(["a", "Total"])).Message.ShouldContain("'Total' appears twice");
    }

    [Fact]
    public void A_parent_that_is_not_a_code_is_rejected()
    {
        var error = Should.Throw<ArgumentException>(() => Hierarchy.FromParents([("QN1", "44109")]));

        error.Message.ShouldContain("Code 'QN1' names parent '44109', which is not a code.");
    }

    [Fact]
    public void A_cycle_is_rejected()
    {
        var error = Should.Throw<ArgumentException>(() => Hierarchy.FromParents([("a", "b"), ("b", "c"), ("c", "a")]));

        error.Message.ShouldContain("is its own ancestor");
    }

    [Fact]
    public void A_code_that_is_its_own_parent_is_rejected()
    {
        Should.Throw<ArgumentException>(() => Hierarchy.FromParents([("a", "a")])).Message.ShouldContain("'a' is its own ancestor");
    }

    [Fact]
    public void An_empty_code_is_rejected()
    {
        Should.Throw<ArgumentException>(() => Hierarchy.Flat(["a", ""])).Message.ShouldContain("must not be empty");
    }
}
