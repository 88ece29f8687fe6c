using System.Text.Json;

namespace DataClauses.Cli.Tests.Commands;

public sealed class PolicyExplainTests : IDisposable
{
    private const string CafQuery = """
        {
          "requester": { "id": "ana-epci", "organisation": "epci-demo", "roles": ["analyst"] },
          "action": "query",
          "dataset": "caf-foyers-allocataires",
          "dimensions": ["qpv", "type_menage"],
          "measures": ["foyers"],
          "purpose": "PURPOSE"
        }
        """;

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Explaining_a_permitted_request_prints_the_decision_with_clause_rule_messages_and_obligations()
    {
        var request = _directory.Write("request.json", CafQuery.Replace("PURPOSE", "observation", StringComparison.Ordinal));

        var result = Cli.Run("policy", "explain", "--policies", Paths.Policies, "--request", request, "--at", "2025-03-01T10:00:00Z");

        result.Error.ShouldBeEmpty();
        result.ExitCode.ShouldBe(0);
        using var decision = JsonDocument.Parse(result.Output);
        var root = decision.RootElement;
        root.GetProperty("effect").GetString().ShouldBe("permit");
        root.GetProperty("clause").GetString().ShouldBe("caf-foyers-qpv");
        var reason = root.GetProperty("reasons").EnumerateArray().ShouldHaveSingleItem();
        reason.GetProperty("rule").GetString().ShouldBe("clause-permits");
        reason.GetProperty("clause").GetString().ShouldBe("caf-foyers-qpv");
        reason.GetProperty("message").GetProperty("fr").GetString().ShouldBe("Autorisé par la clause caf-foyers-qpv du contrat cdv-demo-2024-2030.");
        reason.GetProperty("message").GetProperty("en").GetString().ShouldBe("Permitted by clause caf-foyers-qpv of contract cdv-demo-2024-2030.");
        var obligations = root.GetProperty("obligations");
        obligations.GetProperty("minCount").GetInt32().ShouldBe(11);
        obligations.GetProperty("allowedDimensions").EnumerateArray().Select(d => d.GetString()).ShouldBe(["qpv", "commune", "type_menage", "prestation"]);
    }

    [Fact]
    public void Explaining_a_request_for_a_prohibited_purpose_prints_a_denial_without_obligations()
    {
        var request = _directory.Write("request.json", CafQuery.Replace("PURPOSE", "profiling", StringComparison.Ordinal));

        var result = Cli.Run("policy", "explain", "--policies", Paths.Policies, "--request", request, "--at", "2025-03-01T10:00:00Z");

        result.ExitCode.ShouldBe(0);
        using var decision = JsonDocument.Parse(result.Output);
        decision.RootElement.GetProperty("effect").GetString().ShouldBe("deny");
        var reason = decision.RootElement.GetProperty("reasons").EnumerateArray().ShouldHaveSingleItem();
        reason.GetProperty("rule").GetString().ShouldBe("prohibited-purpose");
        reason.GetProperty("subject").GetString().ShouldBe("profiling");
        reason.GetProperty("message").GetProperty("fr").GetString()!.ShouldContain("profiling");
        decision.RootElement.GetProperty("obligations").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Theory]
    [InlineData("2025-06-30T23:59:59Z", "permit")]
    [InlineData("2025-07-01", "deny")]
    [InlineData("2025-07-01T01:00:00+02:00", "permit")]
    public void The_at_option_sets_the_instant_of_the_decision(string at, string effect)
    {
        // Amendment 1 withdraws the diagnostic purpose from the CAF clause on 2025-07-01 (UTC).
        var request = _directory.Write("request.json", CafQuery.Replace("PURPOSE", "diagnostic", StringComparison.Ordinal));

        var result = Cli.Run("policy", "explain", "--policies", Paths.Policies, "--request", request, "--at", at);

        result.ExitCode.ShouldBe(0);
        using var decision = JsonDocument.Parse(result.Output);
        decision.RootElement.GetProperty("effect").GetString().ShouldBe(effect);
    }

    [Fact]
    public void A_request_file_that_is_not_json_is_reported_at_its_line_and_column()
    {
        var request = _directory.Write("request.json", "{\n  \"purpose\": \"évaluation\",\n  \"dataset\": \"café\" oops\n}\n");

        var result = Cli.Run("policy", "explain", "--policies", Paths.Policies, "--request", request, "--at", "2025-03-01T10:00:00Z");

        result.ExitCode.ShouldBe(1);
        result.Output.ShouldBeEmpty();
        result.ErrorLines.ShouldBe([$"{request}:3:21: error invalid-json: 'o' is invalid after a value. Expected either ',', '}}', or ']'."]);
    }

    [Fact]
    public void An_empty_request_file_is_reported_at_line_one()
    {
        var request = _directory.Write("request.json", string.Empty);

        var result = Cli.Run("policy", "explain", "--policies", Paths.Policies, "--request", request);

        result.ExitCode.ShouldBe(1);
        result.ErrorLines.ShouldHaveSingleItem().ShouldStartWith($"{request}:1:1: error invalid-json: ");
    }

    [Fact]
    public void A_request_with_an_unknown_field_is_refused_naming_the_field()
    {
        var request = _directory.Write("request.json", CafQuery.Replace("\"purpose\": \"PURPOSE\"", "\"purpose\": \"observation\", \"colour\": \"blue\"", StringComparison.Ordinal));

        var result = Cli.Run("policy", "explain", "--policies", Paths.Policies, "--request", request, "--at", "2025-03-01T10:00:00Z");

        result.ExitCode.ShouldBe(1);
        result.Output.ShouldBeEmpty();
        result.ErrorLines.ShouldHaveSingleItem().ShouldStartWith($"{request}: error invalid-request: $.colour: ");
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("03/01/2025")]
    [InlineData("2025-03-01T25:00:00Z")]
    public void An_at_that_is_not_an_iso_8601_instant_is_refused(string at)
    {
        var request = _directory.Write("request.json", CafQuery.Replace("PURPOSE", "observation", StringComparison.Ordinal));

        var result = Cli.Run("policy", "explain", "--policies", Paths.Policies, "--request", request, "--at", at);

        result.ExitCode.ShouldBe(1);
        result.Output.ShouldBeEmpty();
        result.ErrorLines.ShouldBe([$"--at: '{at}' is not an ISO-8601 instant (e.g. 2025-03-01T10:00:00Z or 2025-03-01)"]);
    }

    [Fact]
    public void A_missing_request_file_is_reported()
    {
        var missing = Path.Combine(_directory.FullPath, "missing.json");

        var result = Cli.Run("policy", "explain", "--policies", Paths.Policies, "--request", missing);

        result.ExitCode.ShouldBe(1);
        result.ErrorLines.ShouldBe([$"{missing}:1:1: error file-not-found: no request file there"]);
    }

    [Fact]
    public void Explaining_without_a_request_is_a_usage_error_naming_the_option()
    {
        var result = Cli.Run("policy", "explain", "--policies", Paths.Policies);

        result.ExitCode.ShouldBe(1);
        result.Error.ShouldContain("--request");
        result.Output.ShouldNotContain("\"effect\"");
    }
}
