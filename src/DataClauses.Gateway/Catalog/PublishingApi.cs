using System.Globalization;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Catalog;

/// <summary>
/// The publishing API (docs/publishing.md): declare a dataset's schema, upload versions as CSV, read the dataset
/// and its versions. Every error is an RFC 9457 problem with a stable type; no bad input yields a 500.
/// </summary>
internal static class PublishingApi
{
    /// <summary>Maps the endpoints under <c>/api/v1/datasets</c>.</summary>
    public static IEndpointRouteBuilder MapPublishingApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/datasets")
            .WithTags("Publishing")
            .RequireAuthorization()
            .RequireRateLimiting(RateLimits.Api);

        group.MapGet("/{datasetId}", GetAsync)
            .WithName("GetDataset")
            .WithSummary("A dataset with its schema and versions (provider organisation, or recipients of its clauses in force).");
        group.MapPut("/{datasetId}", DeclareAsync)
            .WithName("DeclareDataset")
            .WithSummary("Declares or updates a dataset's schema (application/json; a publisher of the provider organisation).")
            .Produces<DatasetView>(StatusCodes.Status200OK)
            .Produces<DatasetView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapGet("/{datasetId}/versions", ListVersionsAsync)
            .WithName("ListDatasetVersions")
            .WithSummary("The published versions of a dataset, oldest first; the current one is the last published.");
        group.MapGet("/{datasetId}/versions/{version}", GetVersionAsync)
            .WithName("GetDatasetVersion")
            .WithSummary("One published version.");
        group.MapPut("/{datasetId}/versions/{version}", UploadAsync)
            .WithName("PublishDatasetVersion")
            .WithSummary("Publishes a version from a CSV body (text/csv, streamed); visible atomically once the whole file is valid and stored.")
            .Produces<PublishedView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return app;
    }

    /// <summary>
    /// <c>GET /api/v1/datasets/{datasetId}</c>: 200 with the dataset (schema null until declared); 404 when the
    /// dataset is unknown or not visible to the caller's organisation.
    /// </summary>
    private static async Task<Results<Ok<DatasetView>, ProblemHttpResult>> GetAsync(
        string datasetId, HttpContext http, DatasetPublisher publisher, AuditService audit, CancellationToken cancellationToken)
    {
        var (view, problem) = await publisher.GetAsync(Caller.From(http.User), datasetId, cancellationToken);
        if (problem is not null)
        {
            return problem.ToResult(http);
        }

        await RecordReadAsync(audit, view!, cancellationToken);
        return TypedResults.Ok(view!);
    }

    /// <summary>
    /// <c>PUT /api/v1/datasets/{datasetId}</c> with the schema as JSON: 201 (first declaration) or 200 (updated or
    /// unchanged) with the dataset; 400 <c>invalid-json</c>; 415 <c>unsupported-media-type</c>; 404; 403 with the
    /// decision's reasons; 422 <c>schema-invalid</c> with <c>errors: [{path, code, message}]</c>.
    /// </summary>
    private static async Task<IResult> DeclareAsync(string datasetId, HttpContext http, SchemaDeclarations declarations, CancellationToken cancellationToken)
    {
        var (document, bodyProblem) = await JsonBody.ReadAsync(http.Request, maxDepth: 32, cancellationToken);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }

        using (document)
        {
            var result = await declarations.DeclareAsync(Caller.From(http.User), datasetId, document!.RootElement, cancellationToken);
            if (result.Problem is { } problem)
            {
                return problem.ToResult(http);
            }

            return result.Created
                ? TypedResults.Created($"/api/v1/datasets/{datasetId}", result.Dataset)
                : TypedResults.Ok(result.Dataset);
        }
    }

    /// <summary><c>GET /api/v1/datasets/{datasetId}/versions</c>: 200 with the versions; 404 as for the dataset.</summary>
    private static async Task<Results<Ok<VersionListView>, ProblemHttpResult>> ListVersionsAsync(
        string datasetId, HttpContext http, DatasetPublisher publisher, AuditService audit, CancellationToken cancellationToken)
    {
        var (view, problem) = await publisher.GetAsync(Caller.From(http.User), datasetId, cancellationToken);
        if (problem is not null)
        {
            return problem.ToResult(http);
        }

        await RecordReadAsync(audit, view!, cancellationToken);
        return TypedResults.Ok(new VersionListView(view!.DatasetId, view.CurrentVersion, view.Versions));
    }

    /// <summary><c>GET /api/v1/datasets/{datasetId}/versions/{version}</c>: 200 with the version; 404 when unknown or not visible.</summary>
    private static async Task<Results<Ok<VersionView>, ProblemHttpResult>> GetVersionAsync(
        string datasetId, string version, HttpContext http, DatasetPublisher publisher, AuditService audit, CancellationToken cancellationToken)
    {
        var (view, problem) = await publisher.GetAsync(Caller.From(http.User), datasetId, cancellationToken);
        if (problem is not null)
        {
            return problem.ToResult(http);
        }

        await RecordReadAsync(audit, view!, cancellationToken);
        var found = view!.Versions.FirstOrDefault(v => string.Equals(v.Version, version, StringComparison.Ordinal));
        return found is null ? Problems.NotFound($"Version '{version}' of dataset '{datasetId}'") : TypedResults.Ok(found);
    }

    /// <summary>
    /// <c>PUT /api/v1/datasets/{datasetId}/versions/{version}</c> with the CSV as body (<c>text/csv</c>, optionally
    /// <c>; charset=windows-1252</c>): 201 with the version and import figures. Refusals, in the order checked: 404,
    /// 403 (with reasons), 400 <c>validation</c> (version id), 415, 413 (Content-Length over the limit, or a body
    /// growing past it), 409 <c>dataset-not-declared</c> / <c>schema-outdated</c> / <c>version-exists</c>, then for the
    /// file 400 <c>csv-encoding</c> / <c>csv-structure</c> or 422 <c>csv-header</c> / <c>csv-values</c> with
    /// <c>errors: [{line, column, field, code, message}]</c> (at most 100), <c>errorCount</c> and <c>truncated</c>.
    /// </summary>
    private static async Task<IResult> UploadAsync(
        string datasetId, string version, HttpContext http, DatasetPublisher publisher, IOptions<GatewayOptions> options, CancellationToken cancellationToken)
    {
        // Only this endpoint takes large bodies: raise Kestrel's limit (1 MB elsewhere) before anything reads it.
        var limit = options.Value.Limits.MaxUploadBytes;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        var request = http.Request;
        var result = await publisher.PublishAsync(Caller.From(http.User), datasetId, version, UploadHttp.Of(request, limit), cancellationToken);
        if (result.Problem is { } problem)
        {
            if (problem.Status == StatusCodes.Status413PayloadTooLarge)
            {
                // The rest of the body will not be read: the connection cannot be reused.
                http.Response.Headers.Connection = "close";
            }

            return problem.ToResult(http);
        }

        var published = result.Published!;
        return TypedResults.Created(
            $"/api/v1/datasets/{Uri.EscapeDataString(datasetId)}/versions/{Uri.EscapeDataString(version)}",
            published);
    }

    private static async Task RecordReadAsync(AuditService audit, DatasetView view, CancellationToken cancellationToken)
    {
        var auditEvent = audit.Create("dataset.read", "success") with
        {
            DataOwner = view.Provider,
            Dataset = view.DatasetId,
            Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["versions"] = view.Versions.Count.ToString(CultureInfo.InvariantCulture) },
        };
        await audit.RecordAsync(auditEvent, cancellationToken);
    }
}
