using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Hosting;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Queries;

/// <summary>The refusals of the query steps (see docs/queries.md), as <see cref="ApiProblem"/> values.</summary>
internal static class QueryProblem
{
    public static ApiProblem DatasetNotFound(string datasetId) =>
        new(StatusCodes.Status404NotFound, "not-found", "Introuvable / Not found", $"Dataset '{datasetId}' is not governed by any contract of this node.");

    public static ApiProblem VersionNotFound(string datasetId, string? version) => new(
        StatusCodes.Status404NotFound,
        "version-not-found",
        "Version introuvable / Version not found",
        version is null
            ? $"Dataset '{datasetId}' has no published version yet: there is nothing to query."
            : $"Dataset '{datasetId}' has no published version '{version}'. Omit the version to query the current one.");

    public static ApiProblem CubeUndefined(string detail) =>
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
internal sealed class QueryService(PolicyDecisions decisions, IPublishedDatasets published, CubeCache cubes, AuditService audit)
{
    /// <summary>The dataset's declaration in the first contract governing it, or null when none does.</summary>
    public DatasetDeclaration? FindDataset(string datasetId) => decisions.Contracts.FindDataset(datasetId)?.Dataset;

    /// <summary>Decides through <see cref="PolicyDecisions"/>.</summary>
    public Decision Decide(DecisionRequest request) => decisions.Decide(request);

    /// <summary>
    /// The checks a query and an extract share before reading anything: the version (the current one when null) is
    /// published and the cube of the decision's clause can be defined on the dataset.
    /// </summary>
    public async Task<(PublishedVersion? Version, CubeDefinition? Definition, ApiProblem? Problem)> PinAsync(
        Decision decision, DatasetDeclaration dataset, string datasetId, string? version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var found = await published.FindAsync(datasetId, version, cancellationToken);
        if (found is null)
        {
            return (null, null, QueryProblem.VersionNotFound(datasetId, version));
        }

        try
        {
            return (found, CubeDefinition.For(decision, dataset), null);
        }
        catch (CubeDefinitionException e)
        {
            return (null, null, QueryProblem.CubeUndefined(e.Message));
        }
    }

    /// <summary>The protected cube of a permit decision's clause on a version (the current one when null).</summary>
    public async Task<(OpenedCube? Opened, ApiProblem? Problem)> OpenAsync(Decision decision, string datasetId, string? version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var dataset = decision.Contract?.FindDataset(datasetId) ?? FindDataset(datasetId)
            ?? throw new InvalidOperationException($"Dataset '{datasetId}' was permitted but is not declared.");
        var (found, definition, problem) = await PinAsync(decision, dataset, datasetId, version, cancellationToken);
        if (problem is not null)
        {
            return (null, problem);
        }

        // The request that first needs a cube is the one its cube.built event names (actor, correlation id).
        var trigger = audit.Create(CubeStore.BuiltAction, "success");
        var cube = await cubes.GetAsync(definition!, found!, trigger, cancellationToken);
        return (new OpenedCube(found!, definition!, cube), null);
    }
}
