using DataClauses.Policy.Loading;

namespace DataClauses.Policy.Tests.Loading;

/// <summary>
/// One targeted edit of the demo contract (policies/cdv-demo-2024-2030.yaml) per test: the error lands on the
/// demo's own line and column, in its block-style layout, and nothing else is reported.
/// </summary>
public sealed class DemoContractEditTests
{
    private const string File = "cdv-demo-2024-2030.yaml";

    /// <summary>The errors of the demo contract with <paramref name="line"/> (which must occur once) replaced.</summary>
    private static IEnumerable<string> ErrorsAfter(string line, string replacement)
    {
        var text = System.IO.File.ReadAllText(Paths.DemoContract);
        var at = text.IndexOf(line + "\n", StringComparison.Ordinal);
        at.ShouldBeGreaterThanOrEqualTo(0, $"the demo contract has no line '{line}'");
        text.IndexOf(line + "\n", at + 1, StringComparison.Ordinal).ShouldBe(-1, $"the demo contract has '{line}' more than once");

        var edited = string.Concat(text.AsSpan(0, at), replacement, text.AsSpan(at + line.Length));
        var result = ContractLoader.LoadText(File, edited);

        result.Contracts.ShouldBeEmpty();
        return result.Errors.Select(e => e.ToString());
    }

    [Fact]
    public void The_unedited_demo_contract_loads_as_text_without_error()
    {
        ContractLoader.LoadText(File, System.IO.File.ReadAllText(Paths.DemoContract)).Errors.ShouldBeEmpty();
    }

    [Fact]
    public void Amendment_granting_a_prohibited_purpose_is_reported_on_the_amendment_line()
    {
        ErrorsAfter("          purposes: [observation, evaluation]", "          purposes: [observation, scoring]").ShouldBe(
        [
            "cdv-demo-2024-2030.yaml:234:35: error prohibited-purpose-granted: clause 'caf-foyers-qpv' grants 'scoring', a purpose the contract prohibits",
        ]);
    }

    [Fact]
    public void A_publication_delay_that_is_not_a_duration_is_reported_on_its_value()
    {
        ErrorsAfter("    publication: { frequency: P3M, format: csv, tier: aggregated }", "    publication: { frequency: P3M, format: csv, tier: aggregated, delay: soon }").ShouldBe(
        [
            "cdv-demo-2024-2030.yaml:182:74: error invalid-value: 'delay' in the publication commitment of clause 'ft-demandeurs-qpv' must be a non-zero ISO-8601 duration such as P1Y, P6M or P90D, not 'soon'",
        ]);
    }

    [Fact]
    public void A_publication_delay_is_read_with_the_commitment()
    {
        var text = System.IO.File.ReadAllText(Paths.DemoContract).Replace(
            "    publication: { frequency: P3M, format: csv, tier: aggregated }", "    publication: { frequency: P3M, format: csv, tier: aggregated, delay: P45D }", StringComparison.Ordinal);
        var result = ContractLoader.LoadText(File, text);

        result.Errors.ShouldBeEmpty();
        var clause = result.Contracts.ShouldHaveSingleItem().Clauses.Single(c => c.Id == "ft-demandeurs-qpv");
        clause.Publication!.Delay.ShouldBe(new DataClauses.Policy.Model.IsoDuration(0, 0, 0, 45, 0, 0, 0));
    }

    [Fact]
    public void Amendment_shortening_retention_to_zero_is_reported_on_the_amendment_line()
    {
        ErrorsAfter("          retention: { max: P9M, atEnd: delete }", "          retention: { max: P0M, atEnd: delete }").ShouldBe(
        [
            "cdv-demo-2024-2030.yaml:235:29: error invalid-value: 'max' in the retention of clause 'caf-foyers-qpv' must be a non-zero ISO-8601 duration such as P1Y, P6M or P90D, not 'P0M'",
        ]);
    }

    [Fact]
    public void Added_clause_with_a_dimension_finer_than_its_geography_is_reported_in_the_amendment()
    {
        ErrorsAfter("          dimensions: [commune, typologie, statut]", "          dimensions: [qpv, typologie, statut]").ShouldBe(
        [
            "cdv-demo-2024-2030.yaml:245:24: error contradiction: clause 'bailleur-occupation-caf' allows dimension 'qpv' (qpv), finer than its finest geography (commune)",
        ]);
    }

    [Fact]
    public void Demo_with_a_2015_qpv_code_in_the_2024_list_is_reported_with_a_hint()
    {
        ErrorsAfter("    - { code: QN04405N, name: La Prairie, commune: \"44901\" }", "    - { code: QP044005, name: La Prairie, commune: \"44901\" }").ShouldBe(
        [
            "cdv-demo-2024-2030.yaml:26:15: error invalid-qpv-code: 'QP044005' is a 2015 QPV code; territory.qpv lists 2024 codes only (list 2015 codes under territory.qpv2015, for clauses in the qpv2015 zoning)",
        ]);
    }

    [Fact]
    public void Clause_without_legal_basis_is_reported_once_although_an_amendment_modifies_it()
    {
        ErrorsAfter("    legalBasis: RGPD art. 6.1.e ; Code de la sécurité sociale, art. L. 583-3", string.Empty).ShouldBe(
        [
            "cdv-demo-2024-2030.yaml:142:5: error missing-key: missing required key 'legalBasis' in clause 'caf-foyers-qpv'",
        ]);
    }

    [Fact]
    public void Amendment_effective_after_the_contract_ends_is_reported()
    {
        ErrorsAfter("    effective: 2025-07-01", "    effective: 2031-07-01").ShouldBe(
        [
            "cdv-demo-2024-2030.yaml:229:16: error invalid-period: amendment 1 takes effect on 2031-07-01, outside the contract period 2024-01-01 – 2030-12-31",
        ]);
    }

    [Fact]
    public void Retention_longer_than_the_demo_contract_is_reported()
    {
        ErrorsAfter("    retention: { max: P2Y, atEnd: delete }", "    retention: { max: P8Y, atEnd: delete }").ShouldBe(
        [
            "cdv-demo-2024-2030.yaml:202:23: error retention-exceeds-contract: clause 'bailleur-logements-qpv' allows a retention of P8Y, longer than the contract itself (2024-01-01 – 2030-12-31)",
        ]);
    }

    [Fact]
    public void Unknown_signatory_kind_does_not_cascade_into_unknown_references()
    {
        ErrorsAfter("    kind: france-travail", "    kind: pole-emploi").ShouldBe(
        [
            "cdv-demo-2024-2030.yaml:56:11: error invalid-value: 'kind' in signatory 'ft-pdl' must be one of: agency, bailleur, caf, commune, cpam, departement, epci, france-travail, other, region, state, not 'pole-emploi'",
        ]);
    }

    [Fact]
    public void Open_clause_granting_an_undeclared_purpose_is_reported()
    {
        ErrorsAfter("    purposes: [observation, statistique]", "    purposes: [observation, recherche]").ShouldBe(
        [
            "cdv-demo-2024-2030.yaml:213:29: error unknown-reference: clause 'ft-demandeurs-commune-open' grants purpose 'recherche', which the contract does not declare in 'purposes'",
        ]);
    }
}
