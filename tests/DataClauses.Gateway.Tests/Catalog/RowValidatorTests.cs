using System.Security.Cryptography;
using System.Text;
using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Catalog.Csv;

namespace DataClauses.Gateway.Tests.Catalog;

public sealed class RowValidatorTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    private static readonly DatasetSchema Caf = TestContracts.Schema(TestContracts.CafSchema, TestContracts.Demo, TestContracts.Caf);

    private static readonly DatasetSchema Mixed = TestContracts.Schema(TestContracts.MixedSchema, TestContracts.Mixed, TestContracts.MixedDataset);

    [Theory]
    [InlineData("42", 42L)]
    [InlineData("0", 0L)]
    [InlineData("+3", 3L)]
    [InlineData(" 12 ", 12L)]
    [InlineData("90071992547409", 90_071_992_547_409L)] // the largest integer whose sums stay exact (2^53 hundredths)
    public void Integers_are_read(string text, long expected)
    {
        var (ok, batch, _) = Convert(Mixed, "nombre", text);

        ok.ShouldBeTrue();
        batch.Integers[Index(Mixed, "nombre")][0].ShouldBe(expected);
    }

    [Theory]
    [InlineData("90071992547410")]
    [InlineData("9223372036854775807")]
    public void Integers_whose_sums_could_not_be_exact_are_refused(string text)
    {
        var (ok, _, code) = Convert(Mixed, "nombre", text);

        ok.ShouldBeFalse();
        code.ShouldBe("value-too-large");
    }

    [Theory]
    [InlineData("-7", -7L)]
    [InlineData("-9223372036854775808", long.MinValue)]
    [InlineData("007", 7L)]
    public void Negative_and_extreme_integers_parse(string text, long expected)
    {
        FieldParsers.TryParseInteger(Bytes(text), out var value).ShouldBeTrue();
        value.ShouldBe(expected);
    }

    [Theory]
    [InlineData("4.2")]
    [InlineData("4,0")]
    [InlineData("1 000")]
    [InlineData("abc")]
    [InlineData("-")]
    [InlineData("99999999999999999999")]
    public void Non_integers_are_refused(string text)
    {
        var (ok, _, code) = Convert(Mixed, "nombre", text);

        ok.ShouldBeFalse();
        code.ShouldBe("invalid-integer");
    }

    [Theory]
    [InlineData("12.5", false, 12.5)]
    [InlineData("12.5", true, 12.5)]
    [InlineData("12,5", true, 12.5)]
    [InlineData("-0,25", true, -0.25)]
    [InlineData("1e2", false, 100.0)]
    [InlineData("7", false, 7.0)]
    public void Numbers_accept_a_decimal_point_and_a_decimal_comma_in_semicolon_files(string text, bool semicolonFile, double expected)
    {
        var (ok, batch, _) = Convert(Mixed, "montant", text, decimalComma: semicolonFile);

        ok.ShouldBeTrue();
        batch.Numbers[Index(Mixed, "montant")][0].ShouldBe(expected);
    }

    [Fact]
    public void A_decimal_comma_in_a_comma_separated_file_is_refused_with_advice()
    {
        var validator = Validator(Mixed, decimalComma: false);

        validator.TryConvert(Index(Mixed, "montant"), Bytes("12,5"), null, 0, out var code, out var message).ShouldBeFalse();

        code.ShouldBe("invalid-number");
        message.ShouldContain("point");
    }

    [Theory]
    [InlineData("1.234,5")]
    [InlineData("1,234,5")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("12 €")]
    [InlineData("douze")]
    public void Malformed_numbers_are_refused(string text)
    {
        var (ok, _, code) = Convert(Mixed, "montant", text);

        ok.ShouldBeFalse();
        code.ShouldBe("invalid-number");
    }

    [Theory]
    [InlineData("-100.5", "below-minimum")]
    [InlineData("100,01", "above-maximum")]
    public void Numbers_outside_the_bounds_are_refused(string text, string expected)
    {
        var (ok, _, code) = Convert(Mixed, "montant", text);

        ok.ShouldBeFalse();
        code.ShouldBe(expected);
    }

    [Fact]
    public void Integers_below_the_minimum_are_refused()
    {
        Convert(Mixed, "nombre", "-1").Code.ShouldBe("below-minimum");
    }

    [Theory]
    [InlineData("2024-01-31")]
    [InlineData("31/01/2024")]
    [InlineData("29/02/2024")]
    public void Dates_in_iso_and_french_forms_are_read_and_stored_in_iso_form(string text)
    {
        var (ok, batch, _) = Convert(Mixed, "jour", text);

        ok.ShouldBeTrue();
        batch.Text[Index(Mixed, "jour")][0].ShouldBeOneOf("2024-01-31", "2024-02-29");
    }

    [Theory]
    [InlineData("2023-02-29", "invalid-date")]
    [InlineData("2024-13-01", "invalid-date")]
    [InlineData("31-01-2024", "invalid-date")]
    [InlineData("2024/01/31", "invalid-date")]
    [InlineData("2024-01-30", "unknown-value")]
    public void Invalid_or_unlisted_dates_are_refused(string text, string expected)
    {
        Convert(Mixed, "jour", text).Code.ShouldBe(expected);
    }

    [Theory]
    [InlineData("true", "true")]
    [InlineData("FALSE", "false")]
    [InlineData("1", "true")]
    [InlineData("0", "false")]
    [InlineData("Oui", "true")]
    [InlineData("NON", "false")]
    public void Booleans_are_read_in_english_french_and_digits(string text, string expected)
    {
        var (ok, batch, _) = Convert(Mixed, "actif", text);

        ok.ShouldBeTrue();
        batch.Text[Index(Mixed, "actif")][0].ShouldBe(expected);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("vrai")]
    [InlineData("2")]
    public void Other_booleans_are_refused(string text)
    {
        Convert(Mixed, "actif", text).Code.ShouldBe("invalid-boolean");
    }

    [Fact]
    public void Integer_dimensions_are_stored_in_canonical_form()
    {
        var (ok, batch, _) = Convert(Mixed, "annee", "+2024");

        ok.ShouldBeTrue();
        batch.Text[Index(Mixed, "annee")][0].ShouldBe("2024");
        Convert(Mixed, "annee", "2025").Code.ShouldBe("unknown-value");
    }

    [Fact]
    public void Dimension_values_are_the_contract_strings_themselves()
    {
        var (ok, batch, _) = Convert(Caf, "type_menage", "famille-monoparentale");

        ok.ShouldBeTrue();
        var declared = TestContracts.Caf.FindDimension("type_menage")!.Values.Single(v => v == "famille-monoparentale");
        ReferenceEquals(batch.Text[Index(Caf, "type_menage")][0], declared).ShouldBeTrue();
    }

    [Theory]
    [InlineData("inconnu")]
    [InlineData("Personne-Seule")]
    [InlineData("personne seule")]
    public void Unknown_dimension_values_are_refused_and_the_allowed_ones_listed(string text)
    {
        var validator = Validator(Caf);

        validator.TryConvert(Index(Caf, "type_menage"), Bytes(text), null, 0, out var code, out var message).ShouldBeFalse();

        code.ShouldBe("unknown-value");
        message.ShouldContain("famille-monoparentale");
    }

    [Fact]
    public void A_dimension_enum_narrows_the_contract_values()
    {
        Convert(Mixed, "categorie", "A").Ok.ShouldBeTrue();
        Convert(Mixed, "categorie", "C").Code.ShouldBe("unknown-value");
    }

    [Theory]
    [InlineData("QN04401M", true, null)]
    [InlineData("QN07501M", false, "outside-territory")]
    [InlineData("QN0440", false, "invalid-code")]
    [InlineData("qn04401m", false, "invalid-code")]
    [InlineData("44901", false, "invalid-code")]
    public void Qpv_codes_must_be_of_the_territory(string text, bool valid, string? expected)
    {
        var (ok, _, code) = Convert(Caf, "qpv", text);

        ok.ShouldBe(valid);
        if (expected is not null)
        {
            code.ShouldBe(expected);
        }
    }

    [Theory]
    [InlineData("44901", true, null)]
    [InlineData("75056", false, "outside-territory")]
    [InlineData("4490", false, "invalid-code")]
    public void Commune_codes_must_be_of_the_territory(string text, bool valid, string? expected)
    {
        var (ok, _, code) = Convert(Caf, "commune", text);

        ok.ShouldBe(valid);
        if (expected is not null)
        {
            code.ShouldBe(expected);
        }
    }

    [Theory]
    [InlineData("449010101", true, null)]
    [InlineData("449029999", true, null)]
    [InlineData("750560101", false, "outside-territory")]
    [InlineData("44901010", false, "invalid-code")]
    public void Iris_codes_must_start_with_a_commune_of_the_territory(string text, bool valid, string? expected)
    {
        var (ok, batch, code) = Convert(Mixed, "iris", text);

        ok.ShouldBe(valid);
        if (valid)
        {
            batch.Text[Index(Mixed, "iris")][0].ShouldBe(text);
        }
        else
        {
            code.ShouldBe(expected);
        }
    }

    [Fact]
    public void The_epci_code_must_be_the_contract_s()
    {
        Convert(Mixed, "epci", "200099999").Ok.ShouldBeTrue();
        Convert(Mixed, "epci", "200000001").Code.ShouldBe("outside-territory");
    }

    [Fact]
    public void A_2015_dataset_takes_the_2015_qpv_list()
    {
        var schema = TestContracts.Schema(
            """{"fields":[{"name":"id","type":"string","role":"unit-id"},{"name":"qpv","type":"string","role":"geo","geo":"qpv"}]}""",
            TestContracts.Mixed,
            TestContracts.Zoning2015Dataset);
        var validator = new RowValidator(schema, TestContracts.Mixed, TestContracts.Zoning2015Dataset, decimalComma: true);

        validator.TryConvert(1, Bytes("QP044001"), null, 0, out _, out _).ShouldBeTrue();
        validator.TryConvert(1, Bytes("QN04401M"), null, 0, out var code, out _).ShouldBeFalse();
        code.ShouldBe("invalid-code");
        validator.TryConvert(1, Bytes("QP075001"), null, 0, out code, out _).ShouldBeFalse();
        code.ShouldBe("outside-territory");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Missing_required_values_are_refused(string text)
    {
        Convert(Caf, "qpv", text).Code.ShouldBe("required");
        Convert(Caf, "id_foyer", text).Code.ShouldBe("required");
        Convert(Caf, "montant_mensuel", text).Code.ShouldBe("required");
    }

    [Fact]
    public void Missing_optional_values_are_stored_as_null()
    {
        var batch = new RowBatch(RowValidator.KindsOf(Mixed), 4);
        var validator = Validator(Mixed);

        validator.TryConvert(Index(Mixed, "qpv"), Bytes(string.Empty), batch, 0, out _, out _).ShouldBeTrue();
        validator.TryConvert(Index(Mixed, "montant"), Bytes(string.Empty), batch, 0, out _, out _).ShouldBeTrue();

        batch.Text[Index(Mixed, "qpv")][0].ShouldBeNull();
        batch.Nulls[Index(Mixed, "montant")][0].ShouldBeTrue();
    }

    [Fact]
    public void Unit_ids_are_stored_as_the_hex_hmac_sha256_under_the_dataset_key()
    {
        var stored = HashedUnitId(Caf, "id_foyer", " F000123 ");

        stored.ShouldBe(System.Convert.ToHexStringLower(HMACSHA256.HashData(Key, Encoding.UTF8.GetBytes("F000123"))));
        stored.ShouldNotContain("F000123");
    }

    [Fact]
    public void Every_row_of_a_batch_gets_its_own_hash_even_after_a_rejected_row_was_overwritten()
    {
        var batch = new RowBatch(RowValidator.KindsOf(Caf), 8);
        var validator = Validator(Caf);
        var id = Index(Caf, "id_foyer");
        validator.TryConvert(id, Bytes("A-first"), batch, 0, out _, out _).ShouldBeTrue();
        batch.Count = 1;
        validator.TryConvert(id, Bytes("B-rejected-row-with-a-longer-identifier"), batch, 1, out _, out _).ShouldBeTrue();
        validator.TryConvert(id, Bytes("C"), batch, 1, out _, out _).ShouldBeTrue();
        batch.Count = 2;
        using var hasher = new UnitIdHasher(Key);

        hasher.Hash(batch);

        Encoding.ASCII.GetString(batch.UnitIdHash(0)).ShouldBe(System.Convert.ToHexStringLower(HMACSHA256.HashData(Key, "A-first"u8)));
        Encoding.ASCII.GetString(batch.UnitIdHash(1)).ShouldBe(System.Convert.ToHexStringLower(HMACSHA256.HashData(Key, "C"u8)));
    }

    [Fact]
    public void Consecutive_rows_of_the_same_unit_get_the_same_hash()
    {
        var batch = new RowBatch(RowValidator.KindsOf(Caf), 8);
        var validator = Validator(Caf);
        var id = Index(Caf, "id_foyer");
        string[] ids = ["A", "A", "B", "A", "A"];
        for (var row = 0; row < ids.Length; row++)
        {
            validator.TryConvert(id, Bytes(ids[row]), batch, row, out _, out _).ShouldBeTrue();
            batch.Count = row + 1;
        }

        using var hasher = new UnitIdHasher(Key);
        hasher.Hash(batch, 0, 3);
        hasher.Hash(batch, 3, 5);

        for (var row = 0; row < ids.Length; row++)
        {
            Encoding.ASCII.GetString(batch.UnitIdHash(row)).ShouldBe(System.Convert.ToHexStringLower(HMACSHA256.HashData(Key, Encoding.UTF8.GetBytes(ids[row]))));
        }
    }

    [Fact]
    public void Integer_unit_ids_are_hashed_in_canonical_form()
    {
        HashedUnitId(Mixed, "id", "007").ShouldBe(HashedUnitId(Mixed, "id", "7"));
        Convert(Mixed, "id", "7a").Code.ShouldBe("invalid-integer");
    }

    [Fact]
    public void Unit_id_errors_never_echo_the_identifier()
    {
        var validator = Validator(Mixed);

        validator.TryConvert(Index(Mixed, "id"), Bytes("SECRET-42"), null, 0, out _, out var message).ShouldBeFalse();

        message.ShouldNotContain("SECRET");
    }

    [Fact]
    public async Task A_row_reports_every_bad_value_with_line_column_and_field()
    {
        var csv = "id_foyer;qpv;commune;type_menage;prestation;montant_mensuel\r\nF1;QN07501M;44901;inconnu;rsa;abc\r\n";
        var reader = new CsvReader(new MemoryStream(Encoding.UTF8.GetBytes(csv)), CsvCharset.Utf8);
        var errors = new CsvErrorCollector();
        (await reader.ReadRecordAsync(CancellationToken.None)).ShouldBeTrue();
        var header = CsvHeader.Map(reader, Caf, errors).ShouldNotBeNull();
        (await reader.ReadRecordAsync(CancellationToken.None)).ShouldBeTrue();
        var validator = Validator(Caf);

        validator.Validate(reader, header, null, errors).ShouldBeFalse();

        errors.Class.ShouldBe(CsvErrorClass.Value);
        errors.Errors.Select(e => (e.Line, e.Column, e.Field, e.Code)).ShouldBe(
        [
            (2L, (int?)2, "qpv", "outside-territory"),
            (2L, (int?)4, "type_menage", "unknown-value"),
            (2L, (int?)6, "montant_mensuel", "invalid-number"),
        ]);
    }

    [Fact]
    public async Task Header_columns_map_in_any_order_without_case_and_with_a_trailing_separator()
    {
        var csv = "\"MONTANT_MENSUEL\"; qpv ;commune;type_menage;prestation;id_foyer;\r\n";
        var reader = new CsvReader(new MemoryStream(Encoding.UTF8.GetBytes(csv)), CsvCharset.Utf8);
        (await reader.ReadRecordAsync(CancellationToken.None)).ShouldBeTrue();
        var errors = new CsvErrorCollector();

        var header = CsvHeader.Map(reader, Caf, errors);

        errors.HasErrors.ShouldBeFalse();
        header!.Count.ShouldBe(6);
        header.FieldOfColumn[0].ShouldBe(Index(Caf, "montant_mensuel"));
        header.FieldOfColumn[5].ShouldBe(Index(Caf, "id_foyer"));
    }

    [Fact]
    public async Task Header_reports_unknown_duplicate_and_missing_columns()
    {
        var csv = "id_foyer;qpv;qpv;nom;type_menage;prestation;montant_mensuel\r\n";
        var reader = new CsvReader(new MemoryStream(Encoding.UTF8.GetBytes(csv)), CsvCharset.Utf8);
        (await reader.ReadRecordAsync(CancellationToken.None)).ShouldBeTrue();
        var errors = new CsvErrorCollector();

        CsvHeader.Map(reader, Caf, errors).ShouldBeNull();

        errors.Class.ShouldBe(CsvErrorClass.Header);
        errors.Errors.Select(e => (e.Column, e.Field, e.Code)).ShouldBe(
        [
            ((int?)3, "qpv", "duplicate-column"),
            ((int?)4, "nom", "unknown-column"),
            ((int?)null, "commune", "missing-column"),
        ]);
    }

    [Fact]
    public void The_collector_reports_the_most_severe_class_and_counts_past_the_listed_hundred()
    {
        var errors = new CsvErrorCollector();
        for (var i = 0; i < 150; i++)
        {
            errors.Report(CsvErrorClass.Value, new CsvError(i + 2, 1, "a", "required", "x"));
        }

        errors.Class.ShouldBe(CsvErrorClass.Value);
        errors.Count.ShouldBe(150);
        errors.Errors.Count.ShouldBe(100);
        errors.Truncated.ShouldBeTrue();

        errors.Report(CsvErrorClass.Structure, new CsvError(7, null, null, "field-count", "x"));

        errors.Class.ShouldBe(CsvErrorClass.Structure);
        errors.Count.ShouldBe(1);
        errors.Truncated.ShouldBeFalse();
    }

    private static (bool Ok, RowBatch Batch, string Code) Convert(DatasetSchema schema, string field, string text, bool decimalComma = true)
    {
        var batch = new RowBatch(RowValidator.KindsOf(schema), 4);
        var validator = Validator(schema, decimalComma);
        var ok = validator.TryConvert(Index(schema, field), Bytes(text), batch, 0, out var code, out _);
        return (ok, batch, code);
    }

    private static string HashedUnitId(DatasetSchema schema, string field, string text)
    {
        var (ok, batch, _) = Convert(schema, field, text);
        ok.ShouldBeTrue();
        batch.Count = 1;
        using var hasher = new UnitIdHasher(Key);
        hasher.Hash(batch);
        return Encoding.ASCII.GetString(batch.UnitIdHash(0));
    }

    private static RowValidator Validator(DatasetSchema schema, bool decimalComma = true) => ReferenceEquals(schema, Caf)
        ? new RowValidator(schema, TestContracts.Demo, TestContracts.Caf, decimalComma)
        : new RowValidator(schema, TestContracts.Mixed, TestContracts.MixedDataset, decimalComma);

    private static int Index(DatasetSchema schema, string field) => schema.Fields.Select((f, i) => (f, i)).Single(p => p.f.Name == field).i;

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
