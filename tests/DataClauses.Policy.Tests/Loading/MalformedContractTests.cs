using DataClauses.Policy.Loading;

namespace DataClauses.Policy.Tests.Loading;

/// <summary>
/// Malformed contract files (Loading/Malformed/*.yaml): each test asserts every error the file produces, with its
/// exact file:line:column, code and message, in the order the loader reports them (line, then column).
/// </summary>
public sealed class MalformedContractTests
{
    private static readonly string Folder = Path.Combine(Paths.Root, "tests", "DataClauses.Policy.Tests", "Loading", "Malformed");

    public static TheoryData<string> Fixtures() => [.. Directory.EnumerateFiles(Folder, "*.yaml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    /// <summary>Loads one fixture and renders its errors as <c>lint</c> prints them, with the file name only.</summary>
    private static IEnumerable<string> ErrorsOf(string fixture)
    {
        var path = Path.Combine(Folder, fixture);
        var result = ContractLoader.Load([path]);

        result.Contracts.ShouldBeEmpty($"{fixture} must not load");
        result.Errors.ShouldAllBe(e => e.File == path);
        return result.Errors.Select(e => $"{fixture}:{e.Line}:{e.Column}: error {e.Code}: {e.Message}");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Every_malformed_fixture_is_rejected_with_at_least_one_error(string fixture)
    {
        ErrorsOf(fixture).ShouldNotBeEmpty();
    }

    [Fact]
    public void There_are_at_least_twenty_five_malformed_fixtures()
    {
        Fixtures().Count.ShouldBeGreaterThanOrEqualTo(25);
    }

    [Fact]
    public void Errors_of_a_file_with_many_problems_come_in_line_then_column_order()
    {
        var errors = ContractLoader.Load([Path.Combine(Folder, "many-problems.yaml")]).Errors;

        errors.Count.ShouldBe(13);
        errors.Select(e => (e.Line, e.Column)).ShouldBe(errors.Select(e => (e.Line, e.Column)).Order());
        errors.Select(e => e.Code).Distinct().Count().ShouldBeGreaterThanOrEqualTo(8);
    }

    [Fact]
    public void A_valid_and_an_invalid_contract_loaded_together_report_errors_for_the_invalid_one_only()
    {
        var invalid = Path.Combine(Folder, "undeclared-dataset.yaml");

        var result = ContractLoader.Load([Paths.DemoContract, invalid]);

        result.IsValid.ShouldBeFalse();
        result.Contracts.Select(c => c.Id).ShouldBe(["cdv-demo-2024-2030"]);
        result.Errors.Select(e => e.ToString()).ShouldBe(
        [
            $"{invalid}:33:14: error unknown-reference: clause 'caf-foyers-qpv' names dataset 'caf-menages', which the contract does not declare",
        ]);
        Should.Throw<InvalidOperationException>(result.ToContractSet);
    }

    [Fact]
    public void A_missing_path_is_reported_as_file_not_found()
    {
        var missing = Path.Combine(Folder, "no-such-contract.yaml");

        ContractLoader.Load([missing]).Errors.Select(e => e.ToString()).ShouldBe(
        [
            $"{missing}:1:1: error file-not-found: no contract file or directory at '{missing}'",
        ]);
    }

    [Fact]
    public void Two_files_with_the_same_contract_id_report_the_second_one()
    {
        var directory = Directory.CreateTempSubdirectory("dataclauses-malformed-");
        try
        {
            var copy = Path.Combine(directory.FullName, "copy-of-demo.yaml");
            File.Copy(Paths.DemoContract, copy);

            var result = ContractLoader.Load([Paths.DemoContract, copy]);

            result.Contracts.ShouldHaveSingleItem().SourcePath.ShouldBe(Paths.DemoContract);
            result.Errors.Select(e => e.ToString()).ShouldBe(
            [
                $"{copy}:1:1: error duplicate-id: contract 'cdv-demo-2024-2030' is also defined in {Paths.DemoContract}",
            ]);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Line_and_column_are_one_based_as_printed()
    {
        var result = ContractLoader.LoadText("one-based.yaml", "owner: nobody\nid: Bad Id\n");

        var unknown = result.Errors.Single(e => e.Code == PolicyErrorCodes.UnknownKey);
        (unknown.Line, unknown.Column).ShouldBe((1, 1));
        unknown.ToString().ShouldStartWith("one-based.yaml:1:1: error unknown-key: unknown key 'owner' in the contract");
        var badId = result.Errors.Single(e => e.Code == PolicyErrorCodes.InvalidValue);
        (badId.Line, badId.Column).ShouldBe((2, 5));
    }

    [Fact]
    public void Loading_a_fixture_as_text_reports_the_same_errors_as_loading_the_file()
    {
        var path = Path.Combine(Folder, "many-problems.yaml");

        var fromText = ContractLoader.LoadText(path, File.ReadAllText(path));

        fromText.Errors.ShouldBe(ContractLoader.Load([path]).Errors);
    }

    [Fact]
    public void Yaml_syntax_error_is_reported_at_its_position()
    {
        ErrorsOf("yaml-syntax-error.yaml").ShouldBe(
        [
            "yaml-syntax-error.yaml:6:7: error yaml-syntax: while scanning a plain scalar value, found invalid mapping",
        ]);
    }

    [Fact]
    public void Unclosed_flow_list_is_a_syntax_error_not_a_crash()
    {
        ErrorsOf("yaml-unclosed-flow-sequence.yaml").ShouldBe(
        [
            "yaml-unclosed-flow-sequence.yaml:36:5: error yaml-syntax: the YAML cannot be read past this point; look above for an unclosed '[', '{' or quote",
        ]);
    }

    [Fact]
    public void Duplicate_yaml_key_is_reported_at_the_second_key()
    {
        ErrorsOf("duplicate-yaml-key.yaml").ShouldBe(
        [
            "duplicate-yaml-key.yaml:4:1: error yaml-syntax: duplicate key 'title': each key appears once in a mapping",
        ]);
    }

    [Fact]
    public void Empty_file_is_reported_at_line_one_column_one()
    {
        ErrorsOf("empty-file.yaml").ShouldBe(
        [
            "empty-file.yaml:1:1: error yaml-syntax: the file is empty; a contract is a mapping with at least id, title, period, territory, signatories, purposes, datasets and clauses",
        ]);
    }

    [Fact]
    public void Second_yaml_document_is_reported_where_it_starts()
    {
        ErrorsOf("two-documents.yaml").ShouldBe(
        [
            "two-documents.yaml:43:1: error yaml-syntax: a second YAML document starts here; a contract file holds exactly one",
        ]);
    }

    [Fact]
    public void File_that_is_not_a_mapping_is_an_invalid_type()
    {
        ErrorsOf("not-a-mapping.yaml").ShouldBe(
        [
            "not-a-mapping.yaml:2:1: error invalid-type: the contract must be a mapping (key: value), not a list",
        ]);
    }

    [Fact]
    public void Unknown_top_level_key_is_reported_with_the_allowed_keys()
    {
        ErrorsOf("unknown-top-level-key.yaml").ShouldBe(
        [
            "unknown-top-level-key.yaml:4:1: error unknown-key: unknown key 'version' in the contract; expected one of: id, title, territory, period, signatories, purposes, prohibitedPurposes, datasets, clauses, amendments, governance",
        ]);
    }

    [Fact]
    public void Unknown_key_in_a_clause_is_reported_at_its_position()
    {
        ErrorsOf("unknown-key-in-clause.yaml").ShouldBe(
        [
            "unknown-key-in-clause.yaml:41:5: error unknown-key: unknown key 'expires' in clause 'caf-foyers-qpv'; expected one of: id, title, provider, dataset, recipients, purposes, dimensions, measures, geography, disclosure, retention, approval, publication, legalBasis",
        ]);
    }

    [Fact]
    public void Unknown_keys_nested_in_a_dimension_the_disclosure_and_the_retention_are_reported()
    {
        ErrorsOf("unknown-keys-nested.yaml").ShouldBe(
        [
            "unknown-keys-nested.yaml:25:32: error unknown-key: unknown key 'type' in dimension 'qpv' of dataset 'caf-foyers'; expected one of: name, label, geo, values",
            "unknown-keys-nested.yaml:42:7: error unknown-key: unknown key 'threshold' in the disclosure rules of clause 'caf-foyers-qpv'; expected one of: minCount, dominance, pPercent, rounding, secondarySuppression, protectZeros, publicTotal, protectionLevel, protectionPercent",
            "unknown-keys-nested.yaml:43:43: error unknown-key: unknown key 'notify' in the retention of clause 'caf-foyers-qpv'; expected one of: max, atEnd",
        ]);
    }

    [Fact]
    public void Misspelt_key_is_reported_once_with_a_suggestion_and_no_missing_key()
    {
        ErrorsOf("misspelt-keys.yaml").ShouldBe(
        [
            "misspelt-keys.yaml:15:55: error unknown-key: unknown key 'dpo_contact' in signatory 'caf-44'; did you mean 'dpo'?",
            "misspelt-keys.yaml:35:5: error unknown-key: unknown key 'purpose' in clause 'caf-foyers-qpv'; did you mean 'purposes'?",
            "misspelt-keys.yaml:41:5: error unknown-key: unknown key 'legal_basis' in clause 'caf-foyers-qpv'; did you mean 'legalBasis'?",
        ]);
    }

    [Fact]
    public void Missing_top_level_keys_are_reported_at_the_mapping_that_lacks_them()
    {
        ErrorsOf("missing-top-level-keys.yaml").ShouldBe(
        [
            "missing-top-level-keys.yaml:2:1: error missing-key: missing required key 'title' in the contract",
            "missing-top-level-keys.yaml:2:1: error missing-key: missing required key 'clauses' in the contract",
            "missing-top-level-keys.yaml:4:3: error missing-key: missing required key 'end' in period",
        ]);
    }

    [Fact]
    public void Missing_keys_in_a_clause_and_a_dataset_are_reported_at_the_mapping_that_lacks_them()
    {
        ErrorsOf("missing-keys-in-clause.yaml").ShouldBe(
        [
            "missing-keys-in-clause.yaml:21:5: error missing-key: missing required key 'provider' in dataset 'caf-foyers'",
            "missing-keys-in-clause.yaml:30:5: error missing-key: missing required key 'disclosure' in clause 'caf-foyers-qpv'",
            "missing-keys-in-clause.yaml:30:5: error missing-key: missing required key 'legalBasis' in clause 'caf-foyers-qpv'",
            "missing-keys-in-clause.yaml:33:17: error missing-key: the recipients of clause 'caf-foyers-qpv' name no organisation and no kind: add 'organisations' or 'kinds'",
        ]);
    }

    [Fact]
    public void List_where_a_mapping_is_expected_is_an_invalid_type()
    {
        ErrorsOf("list-where-mapping-expected.yaml").ShouldBe(
        [
            "list-where-mapping-expected.yaml:4:9: error invalid-type: period must be a mapping (key: value), not a list",
            "list-where-mapping-expected.yaml:32:17: error invalid-type: the recipients of clause 'caf-foyers-qpv' must be a mapping (key: value), not a list",
        ]);
    }

    [Fact]
    public void Mapping_or_list_where_a_single_value_is_expected_is_an_invalid_type()
    {
        ErrorsOf("mapping-where-scalar-expected.yaml").ShouldBe(
        [
            "mapping-where-scalar-expected.yaml:3:8: error invalid-type: 'title' in the contract must be a single value, not a mapping",
            "mapping-where-scalar-expected.yaml:35:15: error invalid-type: 'purposes' in clause 'caf-foyers-qpv' must be a list, not a single value",
            "mapping-where-scalar-expected.yaml:39:29: error invalid-type: 'minCount' in the disclosure rules of clause 'caf-foyers-qpv' must be a single value, not a list",
        ]);
    }

    [Fact]
    public void Dates_that_are_not_calendar_dates_written_yyyy_mm_dd_are_reported()
    {
        ErrorsOf("bad-dates.yaml").ShouldBe(
        [
            "bad-dates.yaml:5:10: error invalid-value: 'start' in period must be a calendar date written YYYY-MM-DD, not '2024-02-30'",
            "bad-dates.yaml:6:8: error invalid-value: 'end' in period must be a calendar date written YYYY-MM-DD, not '31/12/2030'",
        ]);
    }

    [Fact]
    public void Period_ending_before_it_starts_is_reported_at_the_end()
    {
        ErrorsOf("end-before-start.yaml").ShouldBe(
        [
            "end-before-start.yaml:6:8: error invalid-period: the contract ends (2023-12-31) before it starts (2024-01-01)",
        ]);
    }

    [Fact]
    public void Durations_that_are_not_iso_8601_are_reported()
    {
        ErrorsOf("bad-durations.yaml").ShouldBe(
        [
            "bad-durations.yaml:40:23: error invalid-value: 'max' in the retention of clause 'caf-foyers-qpv' must be a non-zero ISO-8601 duration such as P1Y, P6M or P90D, not '1 year'",
            "bad-durations.yaml:41:31: error invalid-value: 'frequency' in the publication commitment of clause 'caf-foyers-qpv' must be a non-zero ISO-8601 duration such as P1Y, P6M or P90D, not 'P1.5Y'",
        ]);
    }

    [Fact]
    public void Zero_duration_is_reported()
    {
        ErrorsOf("zero-duration.yaml").ShouldBe(
        [
            "zero-duration.yaml:40:23: error invalid-value: 'max' in the retention of clause 'caf-foyers-qpv' must be a non-zero ISO-8601 duration such as P1Y, P6M or P90D, not 'P0D'",
        ]);
    }

    [Fact]
    public void Values_outside_each_closed_list_are_reported_with_the_allowed_values_and_nothing_else()
    {
        ErrorsOf("bad-enum-values.yaml").ShouldBe(
        [
            "bad-enum-values.yaml:15:50: error invalid-value: 'kind' in signatory 'caf-44' must be one of: agency, bailleur, caf, commune, cpam, departement, epci, france-travail, other, region, state, not 'cafe'",
            "bad-enum-values.yaml:25:27: error invalid-value: 'geo' in dimension 'qpv' of dataset 'caf-foyers' must be one of: commune, epci, iris, qpv, not 'quartier'",
            "bad-enum-values.yaml:29:32: error invalid-value: 'kind' in measure 'montant' of dataset 'caf-foyers' must be one of: count, sum, not 'avg'",
            "bad-enum-values.yaml:34:55: error invalid-value: a recipient kind of clause 'caf-foyers-qpv' must be one of: agency, bailleur, caf, commune, cpam, departement, epci, france-travail, other, region, state, not 'prefecture'",
            "bad-enum-values.yaml:34:76: error invalid-value: a recipient role of clause 'caf-foyers-qpv' must be one of: admin, analyst, dpo, publisher, steward, not 'viewer'",
            "bad-enum-values.yaml:38:39: error invalid-value: 'zoning' in the geography of clause 'caf-foyers-qpv' must be one of: qpv2015, qpv2024, not 'qpv2020'",
            "bad-enum-values.yaml:39:71: error invalid-value: 'rounding' in the disclosure rules of clause 'caf-foyers-qpv' must be one of: base-5, midpoint-6, none, not 'round-5'",
            "bad-enum-values.yaml:40:35: error invalid-value: 'atEnd' in the retention of clause 'caf-foyers-qpv' must be one of: anonymise, delete, not 'archive'",
            "bad-enum-values.yaml:41:15: error invalid-value: 'approval' in clause 'caf-foyers-qpv' must be one of: automatic, four-eyes, steward, not 'manual'",
            "bad-enum-values.yaml:42:44: error invalid-value: 'format' in the publication commitment of clause 'caf-foyers-qpv' must be one of: csv, json, parquet, xlsx, not 'pdf'",
            "bad-enum-values.yaml:42:55: error invalid-value: 'tier' in the publication commitment of clause 'caf-foyers-qpv' must be one of: aggregated, open, protected, not 'public'",
        ]);
    }

    [Fact]
    public void Invalid_identifiers_are_reported_without_cascading_references()
    {
        ErrorsOf("invalid-identifiers.yaml").ShouldBe(
        [
            "invalid-identifiers.yaml:2:5: error invalid-value: 'id' in the contract must be an identifier (lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit, at most 100 characters), not 'CDV Mini'",
            "invalid-identifiers.yaml:22:15: error invalid-value: 'provider' in dataset 'caf-foyers' must be an identifier (lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit, at most 100 characters), not 'CAF-44'",
            "invalid-identifiers.yaml:31:9: error invalid-value: 'id' in a clause must be an identifier (lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit, at most 100 characters), not 'caf-foyers-qpv-'",
        ]);
    }

    [Fact]
    public void Invalid_column_names_are_reported_once_and_not_again_where_a_clause_names_them()
    {
        ErrorsOf("invalid-column-names.yaml").ShouldBe(
        [
            "invalid-column-names.yaml:26:17: error invalid-value: 'name' in a dimension of dataset 'caf-foyers' must be a column name (a lowercase letter, then lowercase letters, digits or '_', at most 63 characters), not 'Type-Menage'",
            "invalid-column-names.yaml:28:17: error invalid-value: 'name' in a measure of dataset 'caf-foyers' must be a column name (a lowercase letter, then lowercase letters, digits or '_', at most 63 characters), not '2foyers'",
        ]);
    }

    [Fact]
    public void Malformed_siren_commune_code_node_url_and_key_and_iri_are_reported()
    {
        ErrorsOf("bad-codes-and-urls.yaml").ShouldBe(
        [
            "bad-codes-and-urls.yaml:8:17: error invalid-value: the EPCI code must be a SIREN number (9 digits, e.g. 200099999), not '20009999'",
            "bad-codes-and-urls.yaml:11:15: error invalid-value: the commune code must be an INSEE code (5 characters, e.g. 44109 or 2A004), not '4490'",
            "bad-codes-and-urls.yaml:19:18: error invalid-value: the node URL must be an absolute http(s) URL, not 'ftp://data.metropole-demo.example'",
            "bad-codes-and-urls.yaml:19:66: error invalid-value: the node's publicKey must be the base64 of a DER SubjectPublicKeyInfo of an EC P-256 key (openssl ec -pubout -outform DER | base64 -w0)",
            "bad-codes-and-urls.yaml:22:49: error invalid-value: 'iri' in purpose 'observation' must be an absolute IRI (e.g. https://w3id.org/dpv#PublicBenefit), not 'w3id.org/dpv#PublicBenefit'",
        ]);
    }

    [Fact]
    public void Qpv_2015_code_in_the_2024_list_is_reported_with_a_hint()
    {
        ErrorsOf("qpv-2015-code-in-2024-list.yaml").ShouldBe(
        [
            "qpv-2015-code-in-2024-list.yaml:13:15: error invalid-qpv-code: 'QP044001' is a 2015 QPV code; territory.qpv lists 2024 codes only (list 2015 codes under territory.qpv2015, for clauses in the qpv2015 zoning)",
        ]);
    }

    [Fact]
    public void Malformed_qpv_codes_are_reported_with_the_expected_shape()
    {
        ErrorsOf("malformed-qpv-codes.yaml").ShouldBe(
        [
            "malformed-qpv-codes.yaml:13:15: error invalid-qpv-code: 'QN4402M' is not a 2024 QPV code (QN, the département on 3 characters, a 2-digit number and N, M or I, e.g. QN04401M or QN02A01M)",
            "malformed-qpv-codes.yaml:14:15: error invalid-qpv-code: 'QN04403X' is not a 2024 QPV code (QN, the département on 3 characters, a 2-digit number and N, M or I, e.g. QN04401M or QN02A01M)",
            "malformed-qpv-codes.yaml:15:15: error invalid-qpv-code: 'qn04404m' is not a 2024 QPV code (QN, the département on 3 characters, a 2-digit number and N, M or I, e.g. QN04401M or QN02A01M)",
        ]);
    }

    [Fact]
    public void Qpv_naming_an_unknown_commune_is_reported()
    {
        ErrorsOf("qpv-unknown-commune.yaml").ShouldBe(
        [
            "qpv-unknown-commune.yaml:13:50: error unknown-reference: QPV 'QN04402M' names commune '44999', which is not in territory.communes",
        ]);
    }

    [Fact]
    public void Duplicate_ids_are_reported_at_the_second_declaration()
    {
        ErrorsOf("duplicate-ids.yaml").ShouldBe(
        [
            "duplicate-ids.yaml:11:15: error duplicate-id: commune '44901' is listed twice",
            "duplicate-ids.yaml:14:15: error duplicate-id: QPV 'QN04401M' is listed twice in territory.qpv",
            "duplicate-ids.yaml:18:11: error duplicate-id: signatory 'caf-44' is declared twice",
            "duplicate-ids.yaml:21:11: error duplicate-id: purpose 'observation' is declared twice in 'purposes'",
            "duplicate-ids.yaml:34:9: error duplicate-id: dataset 'caf-foyers' is declared twice",
            "duplicate-ids.yaml:51:9: error duplicate-id: clause 'caf-foyers-qpv' is declared twice",
        ]);
    }

    [Fact]
    public void Clause_naming_an_undeclared_dataset_is_reported()
    {
        ErrorsOf("undeclared-dataset.yaml").ShouldBe(
        [
            "undeclared-dataset.yaml:33:14: error unknown-reference: clause 'caf-foyers-qpv' names dataset 'caf-menages', which the contract does not declare",
        ]);
    }

    [Fact]
    public void Clause_naming_an_undeclared_provider_recipient_purpose_dimension_and_measure_is_reported()
    {
        ErrorsOf("undeclared-references-in-clause.yaml").ShouldBe(
        [
            "undeclared-references-in-clause.yaml:32:15: error unknown-reference: the provider of clause 'caf-foyers-qpv' is 'caf-45', which is not a signatory of the contract",
            "undeclared-references-in-clause.yaml:34:46: error unknown-reference: a recipient of clause 'caf-foyers-qpv' is 'region-pdl', which is not a signatory of the contract",
            "undeclared-references-in-clause.yaml:35:29: error unknown-reference: clause 'caf-foyers-qpv' grants purpose 'evaluation', which the contract does not declare in 'purposes'",
            "undeclared-references-in-clause.yaml:36:36: error unknown-reference: clause 'caf-foyers-qpv' allows dimension 'tranche_age', which dataset 'caf-foyers' does not declare",
            "undeclared-references-in-clause.yaml:37:33: error unknown-reference: clause 'caf-foyers-qpv' allows measure 'menages', which dataset 'caf-foyers' does not declare",
        ]);
    }

    [Fact]
    public void Clause_granting_a_prohibited_purpose_is_reported()
    {
        ErrorsOf("prohibited-purpose-granted.yaml").ShouldBe(
        [
            "prohibited-purpose-granted.yaml:35:29: error prohibited-purpose-granted: clause 'caf-foyers-qpv' grants 'profiling', a purpose the contract prohibits",
        ]);
    }

    [Fact]
    public void Purpose_both_permitted_and_prohibited_is_reported_once()
    {
        ErrorsOf("purpose-permitted-and-prohibited.yaml").ShouldBe(
        [
            "purpose-permitted-and-prohibited.yaml:20:11: error contradiction: purpose 'observation' is both permitted and prohibited; remove it from 'purposes' or from 'prohibitedPurposes'",
        ]);
    }

    [Fact]
    public void Retention_longer_than_the_contract_is_reported()
    {
        ErrorsOf("retention-longer-than-contract.yaml").ShouldBe(
        [
            "retention-longer-than-contract.yaml:40:23: error retention-exceeds-contract: clause 'caf-foyers-qpv' allows a retention of P8Y, longer than the contract itself (2024-01-01 – 2030-12-31)",
        ]);
    }

    [Fact]
    public void Retention_beyond_the_calendar_is_reported_not_thrown()
    {
        ErrorsOf("retention-beyond-the-calendar.yaml").ShouldBe(
        [
            "retention-beyond-the-calendar.yaml:40:23: error retention-exceeds-contract: clause 'caf-foyers-qpv' allows a retention of P9999Y, longer than the contract itself (2024-01-01 – 2030-12-31)",
        ]);
    }

    [Fact]
    public void Min_count_zero_and_dominance_k_above_100_are_invalid_thresholds()
    {
        ErrorsOf("thresholds-out-of-range.yaml").ShouldBe(
        [
            "thresholds-out-of-range.yaml:39:29: error invalid-threshold: 'minCount' in the disclosure rules of clause 'caf-foyers-qpv' must be between 1 and 1000, not 0",
            "thresholds-out-of-range.yaml:39:54: error invalid-threshold: 'k' in the dominance rule of clause 'caf-foyers-qpv' must be between 1 and 100, not 150",
        ]);
    }

    [Fact]
    public void Protection_level_zero_and_protection_percent_above_100_are_invalid_thresholds()
    {
        ErrorsOf("protection-level-out-of-range.yaml").ShouldBe(
        [
            "protection-level-out-of-range.yaml:39:50: error invalid-threshold: 'protectionLevel' in the disclosure rules of clause 'caf-foyers-qpv' must be between 1 and 1000, not 0",
            "protection-level-out-of-range.yaml:39:72: error invalid-threshold: 'protectionPercent' in the disclosure rules of clause 'caf-foyers-qpv' must be between 0 and 100, not 120",
        ]);
    }

    [Fact]
    public void Clause_provider_differing_from_the_dataset_provider_is_a_contradiction()
    {
        ErrorsOf("provider-differs-from-dataset.yaml").ShouldBe(
        [
            "provider-differs-from-dataset.yaml:32:15: error contradiction: clause 'caf-foyers-qpv' is provided by 'epci-demo' but dataset 'caf-foyers' belongs to 'caf-44'",
        ]);
    }

    [Fact]
    public void Clause_dimension_finer_than_its_finest_geography_is_a_contradiction()
    {
        ErrorsOf("dimension-finer-than-geography.yaml").ShouldBe(
        [
            "dimension-finer-than-geography.yaml:37:27: error contradiction: clause 'caf-foyers-qpv' allows dimension 'qpv' (qpv), finer than its finest geography (commune)",
        ]);
    }

    [Fact]
    public void Clause_zoning_differing_from_the_dataset_zoning_is_reported_at_the_zoning()
    {
        ErrorsOf("zoning-differs-from-dataset.yaml").ShouldBe(
        [
            "zoning-differs-from-dataset.yaml:38:39: error zoning-mismatch: clause 'caf-foyers-qpv' is in the qpv2015 zoning but dataset 'caf-foyers' is in qpv2024; the two are never mixed",
        ]);
    }

    [Fact]
    public void Qpv_2015_list_without_a_2015_clause_is_a_zoning_mismatch()
    {
        ErrorsOf("qpv2015-list-without-2015-clause.yaml").ShouldBe(
        [
            "qpv2015-list-without-2015-clause.yaml:13:3: error zoning-mismatch: the territory lists 2015 QPV codes but no clause declares the qpv2015 zoning; remove 'qpv2015' or add such a clause",
        ]);
    }

    [Fact]
    public void Dominance_rule_without_a_sum_measure_is_reported_at_the_rule()
    {
        ErrorsOf("dominance-without-sum-measure.yaml").ShouldBe(
        [
            "dominance-without-sum-measure.yaml:39:33: error contradiction: clause 'caf-foyers-qpv' sets a dominance or p% rule but allows no sum measure for it to apply to; allow a sum measure or remove the rule",
        ]);
    }

    [Fact]
    public void Unknown_steering_committee_member_and_review_date_outside_the_period_are_reported()
    {
        ErrorsOf("governance-problems.yaml").ShouldBe(
        [
            "governance-problems.yaml:43:42: error unknown-reference: a steering committee member is 'cpam-44', which is not a signatory of the contract",
            "governance-problems.yaml:44:15: error invalid-period: the review date 2031-06-30 is outside the contract period 2024-01-01 – 2030-12-31",
        ]);
    }

    [Fact]
    public void Incomplete_contract_still_reports_its_reference_errors()
    {
        ErrorsOf("incomplete-contract-still-checked.yaml").ShouldBe(
        [
            "incomplete-contract-still-checked.yaml:2:1: error missing-key: missing required key 'title' in the contract",
            "incomplete-contract-still-checked.yaml:5:8: error invalid-period: the contract ends (2023-12-31) before it starts (2024-01-01)",
            "incomplete-contract-still-checked.yaml:33:46: error unknown-reference: a recipient of clause 'caf-foyers-qpv' is 'region-pdl', which is not a signatory of the contract",
            "incomplete-contract-still-checked.yaml:36:33: error unknown-reference: clause 'caf-foyers-qpv' allows measure 'menages', which dataset 'caf-foyers' does not declare",
        ]);
    }

    [Fact]
    public void Amendment_modifying_an_unknown_clause_is_reported()
    {
        ErrorsOf("amendment-modifies-unknown-clause.yaml").ShouldBe(
        [
            "amendment-modifies-unknown-clause.yaml:48:17: error unknown-reference: amendment 1 modifies clause 'caf-foyers-iris', which does not exist at that point",
        ]);
    }

    [Fact]
    public void Amendment_adding_a_clause_that_already_exists_is_reported_at_its_id()
    {
        ErrorsOf("amendment-adds-existing-clause.yaml").ShouldBe(
        [
            "amendment-adds-existing-clause.yaml:49:15: error duplicate-id: amendment 1 adds clause 'caf-foyers-qpv', which already exists at that point; use 'modify' to change it",
        ]);
    }

    [Fact]
    public void Amendment_removing_an_unknown_or_already_removed_clause_is_reported()
    {
        ErrorsOf("amendment-removes-unknown-clause.yaml").ShouldBe(
        [
            "amendment-removes-unknown-clause.yaml:48:17: error unknown-reference: amendment 1 removes clause 'caf-foyers-commune', which does not exist at that point",
            "amendment-removes-unknown-clause.yaml:50:17: error unknown-reference: amendment 1 removes clause 'caf-foyers-qpv', which does not exist at that point",
        ]);
    }

    [Fact]
    public void Amendment_set_cannot_change_the_id_provider_or_dataset()
    {
        ErrorsOf("amendment-set-changes-fixed-keys.yaml").ShouldBe(
        [
            "amendment-set-changes-fixed-keys.yaml:50:11: error invalid-value: amendment 1 cannot change the id of clause 'caf-foyers-qpv'; remove the clause and add a new one instead",
            "amendment-set-changes-fixed-keys.yaml:51:11: error invalid-value: amendment 1 cannot change the provider of clause 'caf-foyers-qpv'; remove the clause and add a new one instead",
            "amendment-set-changes-fixed-keys.yaml:52:11: error invalid-value: amendment 1 cannot change the dataset of clause 'caf-foyers-qpv'; remove the clause and add a new one instead",
        ]);
    }

    [Fact]
    public void Amendment_taking_effect_before_it_is_signed_is_reported_at_its_effective_date()
    {
        ErrorsOf("amendment-effective-before-signed.yaml").ShouldBe(
        [
            "amendment-effective-before-signed.yaml:46:16: error invalid-period: amendment 1 takes effect (2025-06-01) before it is signed (2025-06-15)",
        ]);
    }

    [Fact]
    public void Amendments_taking_effect_outside_the_contract_period_are_reported()
    {
        ErrorsOf("amendment-effective-outside-period.yaml").ShouldBe(
        [
            "amendment-effective-outside-period.yaml:45:16: error invalid-period: amendment 1 takes effect on 2023-07-01, outside the contract period 2024-01-01 – 2030-12-31",
            "amendment-effective-outside-period.yaml:51:16: error invalid-period: amendment 2 takes effect on 2031-01-01, outside the contract period 2024-01-01 – 2030-12-31",
        ]);
    }

    [Fact]
    public void Amendments_out_of_order_are_reported_by_number_and_by_effective_date()
    {
        ErrorsOf("amendment-numbers-out-of-order.yaml").ShouldBe(
        [
            "amendment-numbers-out-of-order.yaml:49:13: error invalid-value: amendments must be listed in increasing order of number (1 follows 2)",
            "amendment-numbers-out-of-order.yaml:57:16: error invalid-period: amendment 3 takes effect (2025-02-01) before amendment 1 (2025-07-01)",
        ]);
    }

    [Fact]
    public void Amendment_change_needs_exactly_one_verb_and_set_only_with_modify()
    {
        ErrorsOf("amendment-change-verbs.yaml").ShouldBe(
        [
            "amendment-change-verbs.yaml:49:9: error invalid-value: a change of amendment 1 must have exactly one of 'add', 'modify' or 'remove', not 'modify' and 'remove'; write one change per verb",
            "amendment-change-verbs.yaml:50:9: error missing-key: a change of amendment 1 must have one of 'add', 'modify' or 'remove'",
            "amendment-change-verbs.yaml:52:9: error unknown-key: 'set' goes with 'modify', not with 'remove'",
        ]);
    }

    [Fact]
    public void Amendment_whose_merged_clause_is_invalid_is_reported_at_the_lines_of_the_amendment()
    {
        ErrorsOf("amendment-merged-clause-invalid.yaml").ShouldBe(
        [
            "amendment-merged-clause-invalid.yaml:50:35: error prohibited-purpose-granted: clause 'caf-foyers-qpv' grants 'profiling', a purpose the contract prohibits",
            "amendment-merged-clause-invalid.yaml:51:35: error invalid-threshold: 'minCount' in the disclosure rules of clause 'caf-foyers-qpv' must be between 1 and 1000, not 0",
            "amendment-merged-clause-invalid.yaml:52:30: error unknown-reference: clause 'caf-foyers-qpv' allows measure 'menages', which dataset 'caf-foyers' does not declare",
        ]);
    }

    [Fact]
    public void Amendment_to_an_invalid_clause_adds_no_second_error()
    {
        ErrorsOf("amendment-on-invalid-clause.yaml").ShouldBe(
        [
            "amendment-on-invalid-clause.yaml:31:5: error missing-key: missing required key 'legalBasis' in clause 'caf-foyers-qpv'",
        ]);
    }

    [Fact]
    public void Amendment_with_several_problems_reports_each_of_them()
    {
        ErrorsOf("amendment-with-several-problems.yaml").ShouldBe(
        [
            "amendment-with-several-problems.yaml:45:16: error invalid-period: amendment 1 takes effect on 2031-01-01, outside the contract period 2024-01-01 – 2030-12-31",
            "amendment-with-several-problems.yaml:47:17: error unknown-reference: amendment 1 modifies clause 'caf-foyers-iris', which does not exist at that point",
            "amendment-with-several-problems.yaml:48:41: error unknown-key: unknown key 'expires' in 'set' of amendment 1; expected one of: id, title, provider, dataset, recipients, purposes, dimensions, measures, geography, disclosure, retention, approval, publication, legalBasis",
            "amendment-with-several-problems.yaml:48:62: error invalid-value: amendment 1 cannot change the id of clause 'caf-foyers-iris'; remove the clause and add a new one instead",
            "amendment-with-several-problems.yaml:49:9: error missing-key: missing required key 'set' in a change of amendment 1",
        ]);
    }

    [Fact]
    public void File_with_many_problems_reports_all_of_them_in_one_run()
    {
        ErrorsOf("many-problems.yaml").ShouldBe(
        [
            "many-problems.yaml:12:15: error invalid-qpv-code: 'QP044001' is a 2015 QPV code; territory.qpv lists 2024 codes only (list 2015 codes under territory.qpv2015, for clauses in the qpv2015 zoning)",
            "many-problems.yaml:13:50: error unknown-reference: QPV 'QN04402M' names commune '44902', which is not in territory.communes",
            "many-problems.yaml:17:11: error duplicate-id: signatory 'caf-44' is declared twice",
            "many-problems.yaml:35:46: error unknown-reference: a recipient of clause 'caf-foyers-qpv' is 'region-pdl', which is not a signatory of the contract",
            "many-problems.yaml:35:67: error invalid-value: a recipient role of clause 'caf-foyers-qpv' must be one of: admin, analyst, dpo, publisher, steward, not 'viewer'",
            "many-problems.yaml:36:29: error prohibited-purpose-granted: clause 'caf-foyers-qpv' grants 'profiling', a purpose the contract prohibits",
            "many-problems.yaml:37:36: error unknown-reference: clause 'caf-foyers-qpv' allows dimension 'age', which dataset 'caf-foyers' does not declare",
            "many-problems.yaml:40:29: error invalid-threshold: 'minCount' in the disclosure rules of clause 'caf-foyers-qpv' must be between 1 and 1000, not 0",
            "many-problems.yaml:40:32: error contradiction: clause 'caf-foyers-qpv' sets a dominance or p% rule but allows no sum measure for it to apply to; allow a sum measure or remove the rule",
            "many-problems.yaml:41:23: error retention-exceeds-contract: clause 'caf-foyers-qpv' allows a retention of P10Y, longer than the contract itself (2024-01-01 – 2030-12-31)",
            "many-problems.yaml:42:15: error invalid-value: 'approval' in clause 'caf-foyers-qpv' must be one of: automatic, four-eyes, steward, not 'manual'",
            "many-problems.yaml:47:16: error invalid-period: amendment 1 takes effect (2025-06-01) before it is signed (2025-06-15)",
            "many-problems.yaml:49:17: error unknown-reference: amendment 1 modifies clause 'caf-foyers-iris', which does not exist at that point",
        ]);
    }
}
