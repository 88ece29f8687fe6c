using System.Text.Json;
using DataClauses.Policy.Loading;
using DataClauses.Policy.Odrl;

namespace DataClauses.Cli.Tests.Commands;

public sealed class PolicyOdrlTests
{
    [Fact]
    public void The_odrl_command_prints_exactly_what_the_exporter_exports()
    {
        var contracts = ContractLoader.Load([Paths.Policies]).Contracts;

        var result = Cli.Run("policy", "odrl", "--policies", Paths.Policies);

        result.ExitCode.ShouldBe(0);
        result.Error.ShouldBeEmpty();
        result.Output.ShouldBe(OdrlExporter.ToJsonLd(contracts) + Environment.NewLine);
    }

    [Fact]
    public void The_odrl_command_prints_json_ld_with_the_odrl_context_and_a_policy()
    {
        var result = Cli.Run("policy", "odrl", "--policies", Paths.DemoContract);

        using var document = JsonDocument.Parse(result.Output);
        document.RootElement.GetProperty("@context")[0].GetString().ShouldBe("http://www.w3.org/ns/odrl.jsonld");
        document.RootElement.GetProperty("@graph").EnumerateArray()
            .Count(n => n.TryGetProperty("@type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "Set")
            .ShouldBe(1);
    }

    [Fact]
    public void The_odrl_command_refuses_invalid_contracts_and_prints_nothing_on_its_output()
    {
        using var directory = new TempDirectory();
        var path = directory.Write("broken.yaml", File.ReadAllText(Paths.DemoContract) + "colour: blue\n");

        var result = Cli.Run("policy", "odrl", "--policies", path);

        result.ExitCode.ShouldBe(1);
        result.Output.ShouldBeEmpty();
        result.ErrorLines[0].ShouldStartWith($"{path}:");
        result.ErrorLines[0].ShouldContain("error unknown-key: ");
    }
}
