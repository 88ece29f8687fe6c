using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Policy.Loading;
using DataClauses.Policy.Odrl;
using Microsoft.Net.Http.Headers;

namespace DataClauses.Gateway.Contracts;

/// <summary>
/// <c>GET /api/v1/contracts/{id}</c>, the target of the DCAT export's <c>dct:conformsTo</c>: the contract as its
/// signatories signed it, the YAML source (<c>Accept: application/yaml</c>), the same document as JSON
/// (<c>Accept: application/json</c>) or its ODRL JSON-LD (the default); and <c>GET /api/v1/contracts/{id}/commitments</c>,
/// its publication commitments against what was published, by reference period. Only members of a signatory
/// organisation see them, whatever their role; anyone else gets the same 404 as for a contract that does not exist, so
/// that its existence is not disclosed either.
/// </summary>
internal static class ContractsApi
{
    private static readonly string[] YamlTypes = ["application/yaml", "application/x-yaml", "text/yaml"];
    private static readonly string[] JsonTypes = ["application/json"];

    public static IEndpointRouteBuilder MapContractsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/contracts/{id}", GetContractAsync)
            .RequireAuthorization()
            .RequireRateLimiting(RateLimits.Api)
            .WithName("GetContract")
            .WithSummary("A contract, to its signatories: ODRL JSON-LD, or the YAML source with Accept: application/yaml.")
            .WithTags("Contracts");
        app.MapGet("/api/v1/contracts/{id}/commitments", GetCommitmentsAsync)
            .RequireAuthorization()
            .RequireRateLimiting(RateLimits.Api)
            .WithName("GetContractCommitments")
            .WithSummary("A contract's publication commitments, to its signatories: each clause's promised frequency and format against the versions published, by reference period (up-to-date, late by N days, never-published).")
            .WithTags("Contracts");
        return app;
    }

    private static async Task<IResult> GetContractAsync(string id, HttpContext http, ContractCatalog contracts, AuditService audit, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var contract = contracts.ForSignatory(id, caller.Organisation);
        var format = Wants(http.Request, YamlTypes) ? "yaml" : Wants(http.Request, JsonTypes) ? "json" : "json-ld";
        await audit.RecordAsync(audit.Create("contract.read", contract is not null ? "success" : "denied") with
        {
            Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["contract"] = SafeText.Printable(id), ["format"] = format },
        }, cancellationToken);
        if (contract is null)
        {
            return Problems.NotFound($"Contract '{id}'");
        }

        if (format != "json-ld" && contract.SourcePath is { } source)
        {
            var yaml = await File.ReadAllTextAsync(source, cancellationToken);
            return format == "yaml"
                ? Results.Text(yaml, "application/yaml; charset=utf-8")
                : Results.Text(ContractJson.FromYaml(yaml)?.ToJsonString() ?? "null", "application/json; charset=utf-8");
        }

        return Results.Text(OdrlExporter.ToJsonLd([contract]), "application/ld+json; charset=utf-8");
    }

    private static async Task<IResult> GetCommitmentsAsync(string id, HttpContext http, ContractCatalog contracts, Commitments commitments, AuditService audit, TimeProvider clock, CancellationToken cancellationToken)
    {
        var contract = contracts.ForSignatory(id, Caller.From(http.User).Organisation);
        await audit.RecordAsync(audit.Create("contract.read", contract is not null ? "success" : "denied") with
        {
            Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["contract"] = SafeText.Printable(id), ["resource"] = "commitments" },
        }, cancellationToken);
        if (contract is null)
        {
            return Problems.NotFound($"Contract '{id}'");
        }

        var statuses = await commitments.EvaluateAsync(contract, cancellationToken);
        return Results.Text(CommitmentJson.Of(contract, statuses, clock.GetUtcNow()).ToJsonString(), "application/json; charset=utf-8");
    }

    private static bool Wants(HttpRequest request, string[] types) =>
        MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted)
        && accepted.OrderByDescending(a => a.Quality ?? 1).FirstOrDefault() is { } best
        && types.Any(t => best.MediaType.Equals(t, StringComparison.OrdinalIgnoreCase));
}
