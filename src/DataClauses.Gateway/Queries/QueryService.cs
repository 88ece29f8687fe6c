using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Hosting;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Queries;

/// <summary>An expected refusal: a problem with a stable type (see docs/queries.md).</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="Type">Stable problem type (appended to the problem type base).</param>
/// <param name="Title">French / English title.</param>
/// <param name="Detail">What happened and what to do.</param>
internal sealed record QueryProblem(int Status, string Type, string Title, string Detail)
{
    public IDictionary<string, object?>? Extensions { get; init; }

    public IResult ToResult(HttpContext http) => QueryHttp.Problem(http, Status, Type, Title, Detail, Extensions);

    public static QueryProblem DatasetNotFound(string datasetId) =>
        new(StatusCodes.Status404NotFound, "not-found", "Introuvable / Not found", $"Dataset '{datasetId}' is not governed by any contract of this node.");

    public static QueryProblem VersionNotFound(string datasetId, string? version) => new(
        StatusCodes.Status404NotFound,
        "version-not-found",
        "Version introuvable / Version not found",
        version is null
            ? $"Dataset '{datasetId}' has no published version yet: there is nothing to query."
            : $"Dataset '{datasetId}' has no published version '{version}'. Omit the version to query the current one.");

    public static QueryProblem CubeUndefined(string detail) =>
        new(StatusCodes.Status422UnprocessableEntity, "cube-undefined", "Cube protégé impossible / No protected cube", detail + " The request is refused rather than protected partially.");
}

/// <summary>What a query needs from a permit decision: the version, the cube's definition and the protected cube.</summary>
/// <param name="Version">The version queried.</param>
/// <param name="Definition">The cube's definition.</param>
/// <param name="Cube">The protected cube.</param>
internal sealed record OpenedCube(PublishedVersion Version, CubeDefinition Definition, ProtectedCube Cube);

/// <summary>
/// The steps every protected answer shares (DESIGN.md, "Data flow"): decide first, from the contracts alone; then,
/// only on permit, find the version and the protected cube of (version, clause), which is built once and reused.
/// </summary>
internal sealed class QueryService(ContractCatalog contracts, IPublishedDatasets published, CubeCache cubes, AuditService audit, TimeProvider clock)
{
    /// <summary>The dataset's declaration in the first contract governing it, or null when none does.</summary>
    public DatasetDeclaration? FindDataset(string datasetId) => contracts.FindDataset(datasetId)?.Dataset;

    /// <summary>Decides at the injected clock's instant; counts the decision by effect.</summary>
    public Decision Decide(DecisionRequest request)
    {
        using var activity = Telemetry.Source.StartActivity(Telemetry.Spans.Decision);
        var decision = DecisionEngine.Decide(contracts.Contracts, request, clock.GetUtcNow());
        Telemetry.Decisions.Add(1, new KeyValuePair<string, object?>("dataclauses.effect", decision.Effect.ToWire()));
        activity?.SetTag("dataclauses.effect", decision.Effect.ToWire());
        activity?.SetTag("dataclauses.contract", decision.Contract?.Id);
        return decision;
    }

    /// <summary>The protected cube of a permit decision's clause on a version (the current one when null).</summary>
    public async Task<(OpenedCube? Opened, QueryProblem? Problem)> OpenAsync(Decision decision, string datasetId, string? version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var dataset = decision.Contract?.FindDataset(datasetId) ?? FindDataset(datasetId)
            ?? throw new InvalidOperationException($"Dataset '{datasetId}' was permitted but is not declared.");
        var found = await published.FindAsync(datasetId, version, cancellationToken);
        if (found is null)
        {
            return (null, QueryProblem.VersionNotFound(datasetId, version));
        }

        CubeDefinition definition;
        try
        {
            definition = CubeDefinition.For(decision, dataset);
        }
        catch (CubeDefinitionException e)
        {
            return (null, QueryProblem.CubeUndefined(e.Message));
        }

        // The request that first needs a cube is the one its cube.built event names (actor, correlation id).
        var trigger = audit.Create(CubeStore.BuiltAction, "success");
        var cube = await cubes.GetAsync(definition, found, trigger, cancellationToken);
        return (new OpenedCube(found, definition, cube), null);
    }
}
