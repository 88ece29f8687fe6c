using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Contracts;
using System.Globalization;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
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

/// <summary>What a query came to: the answer, or the problem that refused it (with the decision when one was made).</summary>
/// <param name="Answer">The protected answer, or null when refused.</param>
/// <param name="Problem">The refusal, or null when answered.</param>
/// <param name="Decision">The policy decision, or null when the query was refused before deciding.</param>
internal sealed record QueryOutcome(QueryAnswer? Answer, ApiProblem? Problem, Decision? Decision);

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
        try
        {
            var cube = await cubes.GetAsync(definition!, found!, trigger, cancellationToken);
            return (new OpenedCube(found!, definition!, cube), null);
        }
        catch (CubeDefinitionException e)
        {
            // Linked clauses whose rows the data place differently cannot share one pattern: refused, not protected apart.
            return (null, QueryProblem.CubeUndefined(e.Message));
        }
    }

    /// <summary>
    /// A protected query of a valid request, as <c>POST /api/v1/queries</c> and the portal's query page run it: decide,
    /// open the protected cube, slice it; audit the answer (<c>query.answered</c>), the denial (<c>query.denied</c>) or
    /// the refusal (<c>query.rejected</c>) with <paramref name="format"/> in the details.
    /// </summary>
    public async Task<QueryOutcome> AnswerAsync(
        Caller caller, QueryRequest request, string format, bool withReasons, string correlationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        // A forwarded request names the peer node: the contract must list it (the trust list).
        var decisionRequest = request.ToDecisionRequest(caller.ToRequester(), PolicyAction.Query) with { Node = caller.Node };
        var details = QueryAudit.RequestDetails(decisionRequest);
        details["format"] = format;
        if (withReasons)
        {
            details["detail"] = CellReasons.Detail;
        }

        var dataset = FindDataset(decisionRequest.Dataset);
        if (dataset is null)
        {
            var notFound = QueryProblem.DatasetNotFound(decisionRequest.Dataset);
            await RecordRejectedAsync(decisionRequest, null, null, request.Version, notFound, details, cancellationToken);
            return new QueryOutcome(null, notFound, null);
        }

        if (withReasons && !CellReasons.MaySee(caller, dataset.Provider))
        {
            var refused = CellReasons.Forbidden(dataset);
            await RecordRejectedAsync(decisionRequest, null, dataset.Provider, request.Version, refused, details, cancellationToken);
            return new QueryOutcome(null, refused, null);
        }

        var decision = Decide(decisionRequest);
        if (decision.Effect != Effect.Permit)
        {
            await audit.RecordAsync(audit.Create(QueryAudit.Denied, "denied") with
            {
                DataOwner = dataset.Provider,
                Dataset = dataset.Id,
                Version = request.Version,
                Purpose = decisionRequest.Purpose,
                Effect = decision.Effect.ToWire(),
                Reasons = QueryAudit.Reasons(decision),
                Details = details,
            }, cancellationToken);
            var denied = PolicyDecisions.Denied(decision.Effect, decision.Reasons, $"The policy denies this query on dataset '{dataset.Id}'; the reasons name the clauses and rules.");
            return new QueryOutcome(null, denied, decision);
        }

        QueryAudit.AddClause(details, decision);
        var (opened, problem) = await OpenAsync(decision, dataset.Id, request.Version, cancellationToken);
        if (problem is not null)
        {
            await RecordRejectedAsync(decisionRequest, decision, dataset.Provider, request.Version, problem, details, cancellationToken);
            return new QueryOutcome(null, problem, decision);
        }

        var slice = QuerySlice.Take(opened!.Cube, decisionRequest.Dimensions, decisionRequest.Measures, decisionRequest.Filters);
        var answer = new QueryAnswer(decisionRequest, decision, opened, slice, correlationId) { WithReasons = withReasons };
        details["cellsReturned"] = slice.Rows.Count.ToString(CultureInfo.InvariantCulture);
        details["cubeCells"] = opened.Cube.CellCount.ToString(CultureInfo.InvariantCulture);
        details["cubeFingerprint"] = opened.Cube.Key.Fingerprint;
        await audit.RecordAsync(audit.Create(QueryAudit.Answered, "success") with
        {
            DataOwner = dataset.Provider,
            Dataset = dataset.Id,
            Version = opened.Version.Version,
            Purpose = decisionRequest.Purpose,
            Effect = decision.Effect.ToWire(),
            Reasons = QueryAudit.Reasons(decision),
            Obligations = QueryAudit.Obligations(decision.Obligations),
            CellsSuppressed = slice.SuppressedCount,
            Details = details,
        }, cancellationToken);
        Telemetry.CellsSuppressed.Add(slice.SuppressedCount, new KeyValuePair<string, object?>("dataclauses.dataset", dataset.Id));
        return new QueryOutcome(answer, null, decision);
    }

    private Task RecordRejectedAsync(
        DecisionRequest request, Decision? decision, string? owner, string? version, ApiProblem problem, Dictionary<string, string> details, CancellationToken cancellationToken)
    {
        details["problem"] = problem.Type;
        details["status"] = problem.Status.ToString(CultureInfo.InvariantCulture);
        return audit.RecordAsync(audit.Create(QueryAudit.Rejected, "failure") with
        {
            DataOwner = owner,
            Dataset = request.Dataset,
            Version = version,
            Purpose = request.Purpose,
            Effect = decision?.Effect.ToWire(),
            Reasons = decision is null ? [] : QueryAudit.Reasons(decision),
            Obligations = QueryAudit.Obligations(decision?.Obligations),
            Details = details,
        }, cancellationToken);
    }
}
