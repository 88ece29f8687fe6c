using System.Text.Json;
using DataClauses.Gateway.Extracts;
using DataClauses.Gateway.Hosting;

namespace DataClauses.Gateway.Tests.Extracts;

public sealed class ExtractRequestReaderTests
{
    private const string Justification = "Diagnostic annuel des quartiers prioritaires.";

    private static (ExtractRequest Request, List<FieldError> Errors) Read(string json)
    {
        var errors = new List<FieldError>();
        using var document = JsonDocument.Parse(json);
        return (ExtractRequestReader.Read(document.RootElement, errors), errors);
    }

    [Fact]
    public void Valid_request_reads_its_tables_purpose_justification_and_retention()
    {
        var (request, errors) = Read($$$"""
            {"tables":[{"dataset":"ft-demandeurs-emploi","dimensions":["qpv"],"measures":["demandeurs"],"filters":{"commune":["44901"]}},
                       {"dataset":"caf-foyers-allocataires","version":"2024-12-31","dimensions":[],"measures":["foyers"]}],
             "purpose":"observation","justification":"  {{{Justification}}}  ","retention":"P6M"}
            """);

        errors.ShouldBeEmpty();
        request.Tables.Count.ShouldBe(2);
        request.Tables[0].Purpose.ShouldBe("observation", "each table is decided for the extract's purpose");
        request.Tables[0].Filters.ShouldHaveSingleItem().Values.ShouldBe(["44901"]);
        request.Tables[1].Version.ShouldBe("2024-12-31");
        request.Justification.ShouldBe(Justification, "trimmed");
        request.RetentionDuration.Months.ShouldBe(6);
    }

    [Theory]
    [InlineData("""{"purpose":"observation","justification":"Une raison suffisante.","retention":"P6M"}""", "tables")]
    [InlineData("""{"tables":[],"purpose":"observation","justification":"Une raison suffisante.","retention":"P6M"}""", "tables")]
    [InlineData("""{"tables":[{"dataset":"d","dimensions":[],"measures":["n"]}],"justification":"Une raison suffisante.","retention":"P6M"}""", "purpose")]
    [InlineData("""{"tables":[{"dataset":"d","dimensions":[],"measures":["n"]}],"purpose":"Observation !","justification":"Une raison suffisante.","retention":"P6M"}""", "purpose")]
    [InlineData("""{"tables":[{"dataset":"d","dimensions":[],"measures":["n"]}],"purpose":"observation","retention":"P6M"}""", "justification")]
    [InlineData("""{"tables":[{"dataset":"d","dimensions":[],"measures":["n"]}],"purpose":"observation","justification":"   court   ","retention":"P6M"}""", "justification")]
    [InlineData("""{"tables":[{"dataset":"d","dimensions":[],"measures":["n"]}],"purpose":"observation","justification":"Une raison suffisante."}""", "retention")]
    [InlineData("""{"tables":[{"dataset":"d","dimensions":[],"measures":["n"]}],"purpose":"observation","justification":"Une raison suffisante.","retention":"PT0S"}""", "retention")]
    [InlineData("""{"tables":[{"dataset":"d","dimensions":[],"measures":["n"]}],"purpose":"observation","justification":"Une raison suffisante.","retention":"6 mois"}""", "retention")]
    [InlineData("""{"tables":[{"dataset":"d","dimensions":[],"measures":["n"]}],"purpose":"observation","justification":"Une raison suffisante.","retention":"P6M","version":"x"}""", "version")]
    public void Each_missing_or_invalid_member_is_reported_on_its_own_field(string json, string field)
    {
        var (_, errors) = Read(json);

        errors.Select(e => e.Field).ShouldBe([field]);
    }

    [Fact]
    public void Table_errors_are_located_by_their_table_and_a_purpose_per_table_is_refused()
    {
        var (_, errors) = Read($$$"""
            {"tables":[{"dataset":"d","dimensions":["qpv"],"measures":["n"]},
                       {"dataset":"d","dimensions":["qpv","qpv"],"measures":[],"purpose":"observation"},
                       "d",
                       {"dataset":"d","dimensions":"qpv","measures":["n"],"filters":{"qpv":[]}}],
             "purpose":"observation","justification":"{{{Justification}}}","retention":"P1Y"}
            """);

        errors.Select(e => e.Field).ShouldBe(
            ["tables[1].purpose", "tables[1].dimensions", "tables[1].measures", "tables[2]", "tables[3].dimensions"],
            ignoreOrder: true);
    }

    [Fact]
    public void More_than_ten_tables_are_refused()
    {
        var tables = string.Join(',', Enumerable.Repeat("""{"dataset":"d","dimensions":[],"measures":["n"]}""", 11));

        var (_, errors) = Read($$"""{"tables":[{{tables}}],"purpose":"observation","justification":"{{Justification}}","retention":"P1Y"}""");

        errors.ShouldHaveSingleItem().Field.ShouldBe("tables");
    }

    [Fact]
    public void A_rejection_needs_a_comment_and_an_approval_does_not()
    {
        var errors = new List<FieldError>();
        ExtractRequestReader.ReadComment(null, required: false, errors).ShouldBeNull();
        errors.ShouldBeEmpty();

        ExtractRequestReader.ReadComment(null, required: true, errors).ShouldBeNull();
        errors.ShouldHaveSingleItem().Field.ShouldBe("comment");

        errors.Clear();
        using var long_ = JsonDocument.Parse($$"""{"comment":"{{new string('x', 2001)}}"}""");
        ExtractRequestReader.ReadComment(long_.RootElement, required: false, errors);
        errors.ShouldHaveSingleItem().Field.ShouldBe("comment");

        errors.Clear();
        using var unknown = JsonDocument.Parse("""{"comment":"  D'accord.  ","note":1}""");
        ExtractRequestReader.ReadComment(unknown.RootElement, required: true, errors).ShouldBe("D'accord.");
        errors.ShouldHaveSingleItem().Field.ShouldBe("note");
    }
}
