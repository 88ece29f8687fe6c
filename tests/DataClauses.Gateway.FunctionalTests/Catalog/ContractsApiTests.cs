using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Catalog;

/// <summary>
/// <c>GET /api/v1/contracts/{id}</c>, where the DCAT export's <c>dct:conformsTo</c> points: the contract to its
/// signatories (any role), as ODRL JSON-LD or as its YAML source; 404 to anyone else and for an unknown id.
/// </summary>
public sealed class ContractsApiTests(SqliteGateway fixture) : IClassFixture<SqliteGateway>
{
    private const string ContractId = "cdv-demo-2024-2030";

    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task Dcat_conforms_to_link_serves_the_contract_to_every_signatory_in_json_ld_and_in_its_yaml_source()
    {
        using var dcat = await Host.Http.GetAsync("api/v1/catalog.jsonld");
        var links = JsonDocument.Parse(await dcat.Content.ReadAsStringAsync()).RootElement.ToString();
        links.ShouldContain($"/api/v1/contracts/{ContractId}\"");

        var source = await File.ReadAllTextAsync(Path.Combine(GatewayHost.PoliciesPath, ContractId + ".yaml"));
        foreach (var (organisation, role) in new[] { ("epci-demo", "analyst"), ("caf-44", "publisher"), ("ft-pdl", "dpo"), ("etat-prefecture", "analyst") })
        {
            using var client = await Host.ClientForAsync(organisation, role);
            using var json = await client.GetAsync($"api/v1/contracts/{ContractId}");
            json.StatusCode.ShouldBe(HttpStatusCode.OK, organisation);
            json.Content.Headers.ContentType!.MediaType.ShouldBe("application/ld+json");
            var policy = JsonDocument.Parse(await json.Content.ReadAsStringAsync()).RootElement.ToString();
            policy.ShouldContain(ContractId);

            using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/contracts/{ContractId}");
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/yaml"));
            using var yaml = await client.SendAsync(request);
            yaml.StatusCode.ShouldBe(HttpStatusCode.OK, organisation);
            yaml.Content.Headers.ContentType!.MediaType.ShouldBe("application/yaml");
            (await yaml.Content.ReadAsStringAsync()).ShouldBe(source);
        }
    }

    [Fact]
    public async Task Contract_is_not_found_for_an_organisation_that_did_not_sign_it_and_for_an_unknown_id()
    {
        using var outsider = Host.WithToken(await Host.CraftTokenAsync("mairie-hors-contrat", "analyst"));
        using var hidden = await outsider.GetAsync($"api/v1/contracts/{ContractId}");
        await hidden.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");

        using var signatory = await Host.ClientForAsync("epci-demo", "dpo");
        using var unknown = await signatory.GetAsync("api/v1/contracts/cdv-inconnu");
        await unknown.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");

        using var anonymous = await Host.Http.GetAsync($"api/v1/contracts/{ContractId}");
        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var audit = await Host.ReadAuditAsync();
        audit.ShouldContain(r => r.Event.Action == "contract.read" && r.Event.Outcome == "denied" && r.Event.Actor.Organisation == "mairie-hors-contrat");
    }
}
