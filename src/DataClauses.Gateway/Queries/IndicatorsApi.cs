using System.Globalization;
using System.Text.Json;
using DataClauses.Disclosure;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Federation;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Json;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Queries;

/// <summary>
/// <c>POST /api/v1/indicators</c>: a cross-partner indicator joining the protected cubes of two datasets on their
/// common geography (e.g. job seekers per 100 CAF households by QPV). Each side is decided and protected on its own
/// (its own clause, purpose and cube); a ratio is computed only from two published cells, so it is secret when
/// either side is, and undefined when the denominator is zero. Every secret value carries the one mark
/// <c>secret</c>, whatever the side and whatever made it secret (ADR 0006).
/// </summary>
internal static class IndicatorsApi
{
    private static readonly IndicatorRequestValidator Validator = new();

    public static IEndpointRouteBuilder MapIndicatorsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/indicators", IndicatorAsync)
            .RequireAuthorization(p => p.RequireOrganisationRole(Roles.All))
            .RequireRateLimiting(RateLimits.Api)
            .WithName("Indicator")
            .WithTags("Queries")
            .WithSummary("A ratio of two datasets' protected cells at a common geography (numerator per 100 denominator units by default).")
            .Accepts<IndicatorRequest>("application/json")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status406NotAcceptable)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return app;
    }

    /// <summary>One side once decided: its request, decision and geographic dimension.</summary>
    private sealed record Side(string Name, IndicatorSide Asked, DatasetDeclaration Dataset, string GeoDimension, DecisionRequest Request, Decision Decision);

    /// <summary>
    /// 200 with the rows; 400; 403 <c>forbidden</c> with <c>numerator</c> and <c>denominator</c> decisions; 404;
    /// 406; 415; 422 <c>geography-not-available</c> (a dataset without that geography) or <c>cube-undefined</c>.
    /// </summary>
    private static async Task<IResult> IndicatorAsync(
        HttpContext http, QueryService service, AuditService audit, NodeDirectory nodes, PeerQueries peers, CancellationToken cancellationToken)
    {
        if (ApiHttp.Negotiate(http.Request, csvAvailable: false) is null)
        {
            return ApiHttp.NotAcceptable(http, csvAvailable: false);
        }

        var (request, invalid) = await ApiHttp.ReadRequestAsync(
            http, "indicator", IndicatorRequest.Read, r => RequestReader.ToFieldErrors(Validator.Validate(r)), cancellationToken);
        if (request is null)
        {
            return invalid!;
        }

        var caller = Caller.From(http.User);
        var requester = caller.ToRequester();
        _ = WireNames.TryParse(request.Geography!, out GeoLevel geography);
        var per = (decimal)(request.Per ?? 100);
        var details = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["geography"] = geography.ToWire(),
            ["per"] = per.ToString(CultureInfo.InvariantCulture),
            ["numerator"] = $"{request.Numerator!.Dataset}/{request.Numerator.Measure}",
            ["denominator"] = $"{request.Denominator!.Dataset}/{request.Denominator.Measure}",
        };

        var sides = new List<Side>(2);
        foreach (var (name, asked) in new[] { ("numerator", request.Numerator), ("denominator", request.Denominator) })
        {
            var dataset = service.FindDataset(asked.Dataset!);
            ApiProblem? problem = null;
            var geoDimension = dataset?.Dimensions.FirstOrDefault(d => d.Geo == geography)?.Name;
            if (dataset is null)
            {
                problem = QueryProblem.DatasetNotFound(asked.Dataset!) with { Detail = $"{name}: dataset '{asked.Dataset}' is not governed by any contract of this node." };
            }
            else if (geoDimension is null)
            {
                problem = new ApiProblem(
                    StatusCodes.Status422UnprocessableEntity,
                    "geography-not-available",
                    "Géographie indisponible / Geography not available",
                    $"{name}: dataset '{dataset.Id}' has no '{geography.ToWire()}' dimension to join on.");
            }

            if (problem is not null)
            {
                await RecordAsync(audit, QueryAudit.IndicatorRejected, "failure", request, null, details, problem, cancellationToken);
                return problem.ToResult(http);
            }

            var decisionRequest = new DecisionRequest
            {
                Node = caller.Node,
                Requester = requester,
                Action = PolicyAction.Query,
                Dataset = dataset!.Id,
                Dimensions = [geoDimension!],
                Measures = [asked.Measure!],
                Purpose = asked.Purpose,
            };
            sides.Add(new Side(name, asked, dataset, geoDimension!, decisionRequest, service.Decide(decisionRequest)));
        }

        foreach (var side in sides)
        {
            details[side.Name + "Effect"] = side.Decision.Effect.ToWire();
            if (side.Decision.Clause is { } clause)
            {
                details[side.Name + "Clause"] = clause.Id;
            }
        }

        if (sides.Any(s => s.Decision.Effect != Effect.Permit))
        {
            await RecordAsync(audit, QueryAudit.IndicatorDenied, "denied", request, sides, details, null, cancellationToken);
            var more = sides.ToDictionary(
                s => s.Name,
                s => (object?)new { effect = s.Decision.Effect.ToWire(), reasons = PolicyDecisions.ReasonsElement(s.Decision.Reasons) },
                StringComparer.Ordinal);
            var denied = sides.Where(s => s.Decision.Effect != Effect.Permit).ToList();
            return PolicyDecisions.Denied(Effect.Deny,
                denied.SelectMany(s => s.Decision.Reasons),
                $"The policy denies the {string.Join(" and the ", denied.Select(s => s.Name))}: each side of an indicator must be permitted on its own.",
                more).ToResult(http);
        }

        // Each side from its holding node: this one (its protected cube) or a peer (its protected cells, federation).
        var answers = new List<PeerSlice>(2);
        foreach (var side in sides)
        {
            PeerSlice? answer;
            ApiProblem? problem;
            if (nodes.HolderOf(side.Dataset.Id) is { } holder)
            {
                (answer, problem) = caller.Node is not null
                    ? (null, nodes.NotHeldHere(side.Dataset.Id, holder))
                    : await peers.SliceAsync(caller, holder, side.Dataset.Id, side.Asked.Version, side.GeoDimension, side.Asked.Measure!, side.Asked.Purpose, CorrelationId.Of(http), cancellationToken);
            }
            else
            {
                var (cube, opening) = await service.OpenAsync(side.Decision, side.Dataset.Id, side.Asked.Version, cancellationToken);
                problem = opening;
                answer = cube is null ? null : new PeerSlice(cube.Version.Version, cube.Cube.Key.Fingerprint, QuerySlice.Take(cube.Cube, side.Request.Dimensions, side.Request.Measures, []));
            }

            if (problem is not null)
            {
                problem = problem with { Detail = $"{side.Name}: {problem.Detail}" };
                await RecordAsync(audit, QueryAudit.IndicatorRejected, "failure", request, sides, details, problem, cancellationToken);
                return problem.ToResult(http);
            }

            answers.Add(answer!);
        }

        var slices = answers.Select(a => a.Slice).ToList();
        var rows = Join(slices[0], slices[1], per);
        details["rowsReturned"] = rows.Count.ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < 2; i++)
        {
            details[sides[i].Name + "Version"] = answers[i].Version;
            if (nodes.HolderOf(sides[i].Dataset.Id) is { } holder)
            {
                details[sides[i].Name + "Node"] = holder.Id;
            }
        }

        var suppressed = rows.Count(r => r.Status == QueryAnswer.Secret);
        await RecordAsync(audit, QueryAudit.IndicatorAnswered, "success", request, sides, details, null, cancellationToken, suppressed);
        Telemetry.CellsSuppressed.Add(suppressed, new KeyValuePair<string, object?>("dataclauses.dataset", sides[0].Dataset.Id));
        return Results.Bytes(Write(geography, per, sides, answers, rows, suppressed, CorrelationId.Of(http)), "application/json; charset=utf-8");
    }

    /// <summary>One indicator row: the two sides' published values and statuses, and the ratio.</summary>
    private sealed record IndicatorRow(string Code, decimal? Numerator, CellStatus NumeratorStatus, decimal? Denominator, CellStatus DenominatorStatus, decimal? Ratio, string Status);

    /// <summary>Joins two slices on their geographic code (rows of the numerator's order present on both sides).</summary>
    private static List<IndicatorRow> Join(Slice numerator, Slice denominator, decimal per)
    {
        var byCode = denominator.Rows.ToDictionary(r => r.Codes[0], StringComparer.Ordinal);
        var rows = new List<IndicatorRow>(numerator.Rows.Count);
        foreach (var n in numerator.Rows)
        {
            if (!byCode.TryGetValue(n.Codes[0], out var d))
            {
                continue;
            }

            var (ratio, status) = (n.Values[0], d.Values[0]) switch
            {
                (null, _) or (_, null) => ((decimal?)null, QueryAnswer.Secret),
                (_, 0m) => (null, "undefined"),
                ({ } num, { } den) => (Math.Round(num / den * per, 2, MidpointRounding.AwayFromZero),
                    n.Status == CellStatus.Rounded || d.Status == CellStatus.Rounded ? "rounded" : "published"),
            };
            rows.Add(new IndicatorRow(n.Codes[0], n.Values[0], n.Status, d.Values[0], d.Status, ratio, status));
        }

        return rows;
    }

    private static byte[] Write(GeoLevel geography, decimal per, List<Side> sides, List<PeerSlice> answers, List<IndicatorRow> rows, int suppressed, string correlationId)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("geography", geography.ToWire());
            w.WriteNumber("per", per);
            for (var i = 0; i < sides.Count; i++)
            {
                var side = sides[i];
                w.WriteStartObject(side.Name);
                w.WriteString("dataset", side.Dataset.Id);
                w.WriteString("version", answers[i].Version);
                w.WriteString("measure", side.Asked.Measure);
                w.WriteString("purpose", side.Asked.Purpose);
                w.WriteString("contract", side.Decision.Contract!.Id);
                w.WriteString("clause", side.Decision.Clause!.Id);
                QueryAnswer.WriteDecision(w, side.Decision);
                w.WritePropertyName("obligations");
                DecisionJson.WriteObligations(w, side.Decision.Obligations!, side.Decision.RetentionDeadline);
                w.WriteString("cubeFingerprint", answers[i].Fingerprint);
                w.WriteEndObject();
            }

            w.WriteStartArray("rows");
            foreach (var row in rows)
            {
                w.WriteStartObject();
                w.WriteString(geography.ToWire(), row.Code);
                WriteValue(w, "numerator", row.Numerator);
                w.WriteString("numeratorStatus", QueryAnswer.StatusName(row.NumeratorStatus));
                WriteValue(w, "denominator", row.Denominator);
                w.WriteString("denominatorStatus", QueryAnswer.StatusName(row.DenominatorStatus));
                WriteValue(w, "ratio", row.Ratio);
                w.WriteString("status", row.Status);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("rowsReturned", rows.Count);
            w.WriteNumber("rowsSuppressed", suppressed);
            w.WriteString("correlationId", correlationId);
            w.WriteEndObject();
        }

        return stream.ToArray();
    }

    private static void WriteValue(Utf8JsonWriter w, string name, decimal? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static Task RecordAsync(
        AuditService audit, string action, string outcome, IndicatorRequest request, List<Side>? sides, Dictionary<string, string> details, ApiProblem? problem, CancellationToken cancellationToken, int? suppressed = null)
    {
        var numerator = sides?.FirstOrDefault();
        if (problem is not null)
        {
            details["problem"] = problem.Type;
            details["status"] = problem.Status.ToString(CultureInfo.InvariantCulture);
        }

        return audit.RecordAsync(audit.Create(action, outcome) with
        {
            DataOwner = numerator?.Dataset.Provider,
            Dataset = request.Numerator?.Dataset,
            Version = request.Numerator?.Version,
            Purpose = request.Numerator?.Purpose,
            Effect = sides is null ? null : (sides.All(s => s.Decision.Effect == Effect.Permit) ? Effect.Permit : Effect.Deny).ToWire(),
            Reasons = sides is null ? [] : [.. sides.SelectMany(s => QueryAudit.Reasons(s.Decision))],
            Obligations = numerator is null ? new Dictionary<string, string>(StringComparer.Ordinal) : QueryAudit.Obligations(numerator.Decision.Obligations),
            CellsSuppressed = suppressed,
            Details = details,
        }, cancellationToken);
    }
}
