using DataClauses.Policy.Loading;

namespace DataClauses.Policy.Tests.Loading;

public sealed class IdentifiersTests
{
    [Theory]
    [InlineData("QN04401M", true)]
    [InlineData("QN09301N", true)]
    [InlineData("QN97101I", true)]
    [InlineData("QN02A01M", true)]
    [InlineData("QN02B12I", true)]
    [InlineData("QN4401M", false)]
    [InlineData("QN044001M", false)]
    [InlineData("QN04401", false)]
    [InlineData("QN04401X", false)]
    [InlineData("qn04401m", false)]
    [InlineData("QN02C01M", false)]
    [InlineData("QN2A001M", false)]
    [InlineData("QP044001", false)]
    [InlineData(" QN04401M", false)]
    public void Recognises_2024_qpv_codes(string code, bool valid)
    {
        Identifiers.IsQpv2024Code(code).ShouldBe(valid);
    }

    [Theory]
    [InlineData("QP044001", true)]
    [InlineData("QP971001", true)]
    [InlineData("QP02A001", true)]
    [InlineData("QP02B002", true)]
    [InlineData("QP04401", false)]
    [InlineData("QP0440010", false)]
    [InlineData("QP02C001", false)]
    [InlineData("qp044001", false)]
    [InlineData("QN04401M", false)]
    public void Recognises_2015_qpv_codes(string code, bool valid)
    {
        Identifiers.IsQpv2015Code(code).ShouldBe(valid);
    }

    [Theory]
    [InlineData("44109", true)]
    [InlineData("97101", true)]
    [InlineData("2A004", true)]
    [InlineData("2B033", true)]
    [InlineData("4410", false)]
    [InlineData("441090", false)]
    [InlineData("2C004", false)]
    [InlineData("A2004", false)]
    [InlineData("2a004", false)]
    [InlineData("44 109", false)]
    public void Recognises_insee_commune_codes_including_corsica(string code, bool valid)
    {
        Identifiers.IsCommuneCode(code).ShouldBe(valid);
    }

    [Theory]
    [InlineData("441090101", true)]
    [InlineData("2A0040101", true)]
    [InlineData("2B0330201", true)]
    [InlineData("44109010", false)]
    [InlineData("4410901011", false)]
    [InlineData("2A004010A", false)]
    [InlineData("44109", false)]
    public void Recognises_iris_codes(string code, bool valid)
    {
        Identifiers.IsIrisCode(code).ShouldBe(valid);
    }

    [Theory]
    [InlineData("200099999", true)]
    [InlineData("244400404", true)]
    [InlineData("20009999", false)]
    [InlineData("2000999990", false)]
    [InlineData("200 099 999", false)]
    [InlineData("20009999A", false)]
    public void Recognises_siren_numbers(string code, bool valid)
    {
        Identifiers.IsSiren(code).ShouldBe(valid);
    }

    [Theory]
    [InlineData("caf-44", true)]
    [InlineData("cdv-demo-2024-2030", true)]
    [InlineData("a", true)]
    [InlineData("9", true)]
    [InlineData("x.y_z", true)]
    [InlineData("", false)]
    [InlineData("-caf", false)]
    [InlineData("caf-", false)]
    [InlineData("CAF-44", false)]
    [InlineData("caf 44", false)]
    [InlineData("caf/44", false)]
    public void Recognises_identifiers(string text, bool valid)
    {
        Identifiers.IsValidId(text).ShouldBe(valid);
    }

    [Fact]
    public void Identifiers_are_at_most_one_hundred_characters()
    {
        Identifiers.IsValidId(new string('a', 100)).ShouldBeTrue();
        Identifiers.IsValidId(new string('a', 101)).ShouldBeFalse();
    }

    [Theory]
    [InlineData("qpv", true)]
    [InlineData("type_menage", true)]
    [InlineData("a1_b", true)]
    [InlineData("Type", false)]
    [InlineData("1a", false)]
    [InlineData("_a", false)]
    [InlineData("type-menage", false)]
    [InlineData("type menage", false)]
    public void Recognises_column_names(string text, bool valid)
    {
        Identifiers.IsValidColumnName(text).ShouldBe(valid);
    }

    [Fact]
    public void Column_names_are_at_most_sixty_three_characters()
    {
        Identifiers.IsValidColumnName(new string('a', 63)).ShouldBeTrue();
        Identifiers.IsValidColumnName(new string('a', 64)).ShouldBeFalse();
    }
}
