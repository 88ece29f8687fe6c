using DataClauses.Gateway.Catalog;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Tests.Catalog;

/// <summary>The DCAT-AP export names a publication frequency by the EU frequency vocabulary when it has a concept for it.</summary>
public sealed class DcatFrequencyTests
{
    [Theory]
    [InlineData("P1D", "DAILY")]
    [InlineData("P1W", "WEEKLY")]
    [InlineData("P1M", "MONTHLY")]
    [InlineData("P3M", "QUARTERLY")]
    [InlineData("P6M", "ANNUAL_2")]
    [InlineData("P1Y", "ANNUAL")]
    [InlineData("P2Y", "BIENNIAL")]
    public void Frequency_with_a_concept_of_the_eu_vocabulary_is_that_concept(string duration, string concept)
    {
        IsoDuration.TryParse(duration, out var frequency).ShouldBeTrue();

        var node = CatalogApi.Frequency(frequency);

        node["@id"]!.GetValue<string>().ShouldBe("http://publications.europa.eu/resource/authority/frequency/" + concept);
    }

    [Fact]
    public void Frequency_without_a_concept_is_a_typed_iso_8601_duration()
    {
        IsoDuration.TryParse("P5M", out var frequency).ShouldBeTrue();

        var node = CatalogApi.Frequency(frequency);

        node["@value"]!.GetValue<string>().ShouldBe("P5M");
        node["@type"]!.GetValue<string>().ShouldBe("xsd:duration");
    }
}
