using DataClauses.Policy.Loading;
using DataClauses.Policy.Model;

namespace DataClauses.Policy.Tests.Loading;

public sealed class DemoContractTests
{
    [Fact]
    public void The_demo_contract_is_valid()
    {
        var result = ContractLoader.Load([Paths.Policies]);

        result.Errors.ShouldBeEmpty();
        var contract = result.Contracts.ShouldHaveSingleItem();
        contract.Id.ShouldBe("cdv-demo-2024-2030");
        contract.Signatories.Select(s => s.Id).ShouldBe(["epci-demo", "etat-prefecture", "caf-44", "ft-pdl", "bailleur-atlantique"]);
        contract.Territory.Qpv.Count.ShouldBeInRange(10, 14);
        contract.Territory.Qpv.ShouldAllBe(q => Identifiers.IsQpv2024Code(q.Code));
    }

    [Fact]
    public void Amendment_one_changes_the_caf_purposes_from_its_effective_date()
    {
        var contract = ContractLoader.Load([Paths.DemoContract]).Contracts.Single();

        var before = contract.ClausesAt(new DateOnly(2025, 6, 30)).Single(c => c.Id == "caf-foyers-qpv");
        var after = contract.ClausesAt(new DateOnly(2025, 7, 1)).Single(c => c.Id == "caf-foyers-qpv");

        before.Purposes.ShouldContain("diagnostic");
        after.Purposes.ShouldNotContain("diagnostic");
        after.Retention!.Max.ShouldBe(new IsoDuration(0, 9, 0, 0, 0, 0, 0));
        after.Amendment.ShouldBe(1);
        contract.ClausesAt(new DateOnly(2025, 7, 1)).ShouldContain(c => c.Id == "bailleur-occupation-caf");
    }
}
