using System.Text.Json;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Queries;
using Microsoft.AspNetCore.Http;

namespace DataClauses.Gateway.Tests.Queries;

public sealed class QueryRequestTests
{
    private static (QueryRequest Request, List<FieldError> Errors) Read(string json, bool dryRun = false)
    {
        var errors = new List<FieldError>();
        using var document = JsonDocument.Parse(json);
        var request = RequestReader.ReadQuery(document.RootElement, dryRun, errors);
        if (errors.Count == 0)
        {
            errors.AddRange(RequestReader.ToFieldErrors(new QueryRequestValidator(dryRun).Validate(request), request));
        }

        return (request, errors);
    }

    [Fact]
    public void Valid_query_reads_every_field()
    {
        var (request, errors) = Read("""{"dataset":"caf-foyers-allocataires","version":"2024-12-31","purpose":"observation","dimensions":["qpv"],"measures":["foyers"],"filters":{"commune":["44901","44902"]}}""");

        errors.ShouldBeEmpty();
        request.Dataset.ShouldBe("caf-foyers-allocataires");
        request.Version.ShouldBe("2024-12-31");
        request.Filters.ShouldHaveSingleItem().Values.ShouldBe(["44901", "44902"]);
    }

    [Fact]
    public void Unknown_repeated_and_mistyped_fields_are_each_reported_with_their_path()
    {
        var (_, errors) = Read("""{"dataset":"d","dataset":"e","purpose":1,"dimensions":"qpv","measures":["foyers",2],"filters":{"qpv":"QN04401M"},"limit":10}""");

        errors.Select(e => e.Field).ShouldBe(["dataset", "limit", "purpose", "dimensions", "measures[1]", "filters.qpv"], ignoreOrder: true);
    }

    [Fact]
    public void Missing_purpose_empty_measures_repeated_dimensions_and_empty_filters_are_refused()
    {
        var (_, errors) = Read("""{"dataset":"d","dimensions":["qpv","qpv"],"measures":[],"filters":{"type":[]}}""");

        errors.Select(e => e.Field).ShouldBe(["purpose", "dimensions", "measures", "filters.type"], ignoreOrder: true);
    }

    [Fact]
    public void Dimensions_are_required_but_may_be_empty()
    {
        Read("""{"dataset":"d","purpose":"observation","measures":["n"]}""").Errors.Select(e => e.Field).ShouldBe(["dimensions"]);
        Read("""{"dataset":"d","purpose":"observation","dimensions":[],"measures":["n"]}""").Errors.ShouldBeEmpty();
    }

    [Fact]
    public void Dry_run_accepts_action_and_retention_and_a_query_does_not()
    {
        Read("""{"dataset":"d","purpose":"p","dimensions":[],"measures":["n"],"action":"extract","retention":"P6M"}""", dryRun: true).Errors.ShouldBeEmpty();
        Read("""{"dataset":"d","purpose":"p","dimensions":[],"measures":["n"],"action":"publish","retention":"6 months"}""", dryRun: true)
            .Errors.Select(e => e.Field).ShouldBe(["action", "retention"], ignoreOrder: true);
        Read("""{"dataset":"d","purpose":"p","dimensions":[],"measures":["n"],"action":"extract"}""").Errors.Select(e => e.Field).ShouldBe(["action"]);
    }

    [Fact]
    public void Body_that_is_not_an_object_is_refused()
    {
        Read("[1,2]").Errors.ShouldHaveSingleItem().Field.ShouldBe("$");
    }

    [Theory]
    [InlineData(null, "json")]
    [InlineData("*/*", "json")]
    [InlineData("application/json", "json")]
    [InlineData("text/csv", "csv")]
    [InlineData("text/csv; charset=utf-8", "csv")]
    [InlineData("text/csv, application/json;q=0.5", "csv")]
    [InlineData("text/csv;q=0.5, application/json", "json")]
    [InlineData("text/*", "csv")]
    [InlineData("application/xml", null)]
    [InlineData("text/csv;q=0", null)]
    public void Accept_header_chooses_the_format(string? accept, string? expected)
    {
        var http = new DefaultHttpContext();
        if (accept is not null)
        {
            http.Request.Headers.Accept = accept;
        }

        ApiHttp.Negotiate(http.Request)?.ToString().ToLowerInvariant().ShouldBe(expected);
    }

    [Fact]
    public void Csv_values_use_s_for_secrets_and_a_decimal_comma()
    {
        QueryAnswer.Format(null, Policy.Model.MeasureKind.Count).ShouldBe("s");
        QueryAnswer.Format(12m, Policy.Model.MeasureKind.Count).ShouldBe("12");
        QueryAnswer.Format(1234.5m, Policy.Model.MeasureKind.Sum).ShouldBe("1234,50");
        QueryAnswer.Format(null, Policy.Model.MeasureKind.Sum).ShouldBe("s");
    }
}
