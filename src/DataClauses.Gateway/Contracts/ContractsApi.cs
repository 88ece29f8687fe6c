using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Policy.Odrl;
using Microsoft.Net.Http.Headers;

namespace DataClauses.Gateway.Contracts;

/// <summary>
/// <c>GET /api/v1/contracts/{id}</c>, the target of the DCAT export's <c>dct:conformsTo</c>: the contract as its
/// signatories signed it, the YAML source (<c>Accept: application/yaml</c>) or its ODRL JSON-LD (the default). Only
/// members of a signatory organisation see it, whatever their role; anyone else gets the same 404 as for a contract
/// that does not exist, so that its existence is not disclosed either.
/// </summary>
internal static class ContractsApi
{
    private static readonly string[] YamlTypes = ["application/yaml", "application/x-yaml", "text/yaml"];

    public static IEndpointRouteBuilder MapContractsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/contracts/{id}", GetContractAsync)
            .RequireAuthorization()
            .RequireRateLimiting(RateLimits.Api)
            .WithName("GetContract")
            .WithSummary("A contract, to its signatories: ODRL JSON-LD, or the YAML source with Accept: application/yaml.")
            .WithTags("Contracts");
        return app;
    }

    private static async Task<IResult> GetContractAsync(string id, HttpContext http, ContractCatalog contracts, AuditService audit, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var contract = contracts.Contracts.Contracts.FirstOrDefault(c => string.Equals(c.Id, id, StringComparison.Ordinal));
        var signatory = contract?.FindSignatory(caller.Organisation) is not null;
        var yaml = WantsYaml(http.Request);
        await audit.RecordAsync(audit.Create("contract.read", signatory ? "success" : "denied") with
        {
            Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["contract"] = id, ["format"] = yaml ? "yaml" : "json-ld" },
        }, cancellationToken);
        if (contract is null || !signatory)
        {
            return Problems.NotFound($"Contract '{id}'");
        }

        if (yaml && contract.SourcePath is { } source)
        {
            return Results.Text(await File.ReadAllTextAsync(source, cancellationToken), "application/yaml; charset=utf-8");
        }

        return Results.Text(OdrlExporter.ToJsonLd([contract]), "application/ld+json; charset=utf-8");
    }

    private static bool WantsYaml(HttpRequest request) =>
        MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted)
        && accepted.OrderByDescending(a => a.Quality ?? 1).FirstOrDefault() is { } best
        && YamlTypes.Any(t => best.MediaType.Equals(t, StringComparison.OrdinalIgnoreCase));
}
