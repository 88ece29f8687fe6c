using System.Globalization;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Storage;
using DataClauses.Policy.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Catalog;

/// <summary>
/// Declares dataset schemas and publishes versions from CSV uploads, for the API and the demo seeder alike.
/// A version becomes visible atomically: its table, rows, version row and audit event are written in one
/// transaction, after the whole file was validated; any failure (invalid file, disconnection, exception) rolls it
/// all back and records a <c>dataset.publish-rejected</c> event in a transaction of its own.
/// </summary>
internal sealed partial class DatasetPublisher(
    GatewayDbContext db,
    ContractCatalog contracts,
    PublishingRecords records,
    IDatasetImporter importer,
    Federation.NodeDirectory nodes,
    TimeProvider clock,
    IOptions<GatewayOptions> options,
    ILogger<DatasetPublisher> logger)
{
    /// <summary>Audit action of a published version.</summary>
    public const string PublishedAction = "dataset.published";

    /// <summary>Audit action of a refused or interrupted upload.</summary>
    public const string PublishRejectedAction = "dataset.publish-rejected";

    /// <summary>
    /// Publishes a version from a CSV body. Checks, in order: dataset known (404), publish decision (403), version
    /// id (400), content type and charset (415), declared length (413), schema declared and still matching the
    /// contract (409), version new (409); then streams the body (413 past the limit; 400/422 for an invalid file).
    /// <paramref name="cancellationToken"/> only stops reading the body (the client went away): database work is
    /// never interrupted half-way, it is rolled back.
    /// </summary>
    public async Task<PublishResult> PublishAsync(Caller caller, string datasetId, string version, CsvUpload upload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(upload);
        var started = clock.GetTimestamp();
        using var activity = Telemetry.Source.StartActivity(Telemetry.Spans.Import);
        activity?.SetTag("dataclauses.dataset", datasetId);
        activity?.SetTag("dataclauses.version", version);
        var attempt = new ImportAttempt(caller, datasetId, version);
        if (contracts.FindDataset(datasetId) is not ({ } contract, { } declaration))
        {
            return await RejectAsync(attempt, PublishingProblem.NotFound(datasetId));
        }

        attempt.Provider = declaration.Provider;
        var decision = records.Decide(caller, datasetId);
        attempt.Decision = decision;
        if (!decision.IsAllowed)
        {
            return await RejectAsync(attempt, PublishingProblem.Forbidden(datasetId, decision));
        }

        if (nodes.HolderOf(datasetId) is { } holder)
        {
            // Rows stay with the node that holds them: publish there.
            return await RejectAsync(attempt, nodes.NotHeldHere(datasetId, holder));
        }

        if (!VersionIds.IsValid(version))
        {
            return await RejectAsync(attempt, new ApiProblem(StatusCodes.Status400BadRequest, "validation", "Requête invalide / Invalid request", "The version id is not valid.")
            {
                Extensions = new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["errors"] = new[] { new { field = "version", message = "A version id is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. 2024-12-31)." } },
                },
            });
        }

        if (upload.Unsupported is { } unsupported)
        {
            return await RejectAsync(attempt, unsupported);
        }

        var limit = options.Value.Limits.MaxUploadBytes;
        if (upload.DeclaredLength > limit)
        {
            return await RejectAsync(attempt, PublishingProblem.TooLarge(limit));
        }

        var entity = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.DatasetId == datasetId, CancellationToken.None);
        if (entity is null)
        {
            return await RejectAsync(attempt, new ApiProblem(
                StatusCodes.Status409Conflict,
                "dataset-not-declared",
                "Jeu de données non déclaré / Dataset not declared",
                $"Declare the schema of dataset '{datasetId}' first (PUT /api/v1/datasets/{datasetId})."));
        }

        var schemaErrors = new List<SchemaError>();
        var schema = DatasetSchema.FromJson(entity.SchemaJson, contract, declaration, schemaErrors);
        if (schema is null)
        {
            return await RejectAsync(attempt, PublishingProblem.Schema(
                StatusCodes.Status409Conflict,
                "schema-outdated",
                "Schéma à redéclarer / Schema no longer matches the contract",
                $"The declared schema of '{datasetId}' no longer matches contract '{contract.Id}' (amended since?): declare it again.",
                schemaErrors));
        }

        if (await db.DatasetVersions.AnyAsync(v => v.DatasetId == datasetId && v.Version == version, CancellationToken.None))
        {
            return await RejectAsync(attempt, PublishingProblem.VersionExists(datasetId, version));
        }

        var job = new ImportJob(attempt, contract, declaration, schema, Convert.FromHexString(entity.UnitIdKey), upload.Charset, limit, started);
        PublishResult result;
        try
        {
            result = await importer.ImportAsync(job, upload.Body, cancellationToken);
        }
        catch (UploadTooLargeException)
        {
            return await RejectAsync(attempt, PublishingProblem.TooLarge(limit));
        }
        catch (Exception e) when (e is UploadInterruptedException || IsCancelled(e, cancellationToken))
        {
            // A body cut short: the server reports the end of its input (the client closed or reset the connection,
            // UploadHttp) or the aborted request, whichever it notices first. The same upload must get the same answer
            // and audit: with a Content-Length, the body ended before it; without one (chunked), the client went away.
            var read = attempt.Upload?.BytesRead ?? 0;
            return await RejectAsync(attempt, upload.DeclaredLength is { } announced
                ? new ApiProblem(
                    StatusCodes.Status400BadRequest,
                    "upload-incomplete",
                    "Envoi incomplet / Incomplete upload",
                    $"The upload ended after {read.ToString(CultureInfo.InvariantCulture)} of the {announced.ToString(CultureInfo.InvariantCulture)} bytes announced. Nothing was stored.")
                : new ApiProblem(499, "client-closed-request", "Requête abandonnée / Client closed request", "The client went away during the upload. Nothing was stored."));
        }
        catch (Exception)
        {
            await RejectAsync(attempt, new ApiProblem(StatusCodes.Status500InternalServerError, "server-error", "Erreur interne / Internal error", "The upload failed unexpectedly. Nothing was stored."));
            throw;
        }

        return result.Problem is { } problem ? await RejectAsync(attempt, problem) : result;
    }

    /// <summary>The dataset with its schema and versions, when the caller may see it (provider, or recipient of a clause in force).</summary>
    public async Task<(DatasetView? View, ApiProblem? Problem)> GetAsync(Caller caller, string datasetId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (contracts.FindDataset(datasetId) is not ({ } contract, { } declaration) || !CanSee(caller, declaration))
        {
            return (null, PublishingProblem.NotFound(datasetId));
        }

        var entity = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.DatasetId == datasetId, cancellationToken);
        return (await records.ViewAsync(contract, declaration, entity, cancellationToken), null);
    }

    /// <summary>Whether the caller's organisation provides the dataset or receives it under a clause in force (or an open one).</summary>
    public bool CanSee(Caller caller, DatasetDeclaration declaration)
    {
        ArgumentNullException.ThrowIfNull(declaration);
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        return CatalogService.CanSee(caller, declaration, contracts.Contracts.ClausesInForce(declaration.Id, today));
    }

    private static bool IsCancelled(Exception e, CancellationToken cancellationToken) =>
        e is OperationCanceledException or IOException && cancellationToken.IsCancellationRequested;

    /// <summary>Records a refused upload in its own transaction (on a fresh context: the request's may be mid-failure).</summary>
    private async Task<PublishResult> RejectAsync(ImportAttempt attempt, ApiProblem problem)
    {
        var details = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["reason"] = problem.Type,
            ["status"] = problem.Status.ToString(CultureInfo.InvariantCulture),
        };
        var bytes = attempt.Upload?.BytesRead ?? 0;
        if (bytes > 0)
        {
            details["bytes"] = bytes.ToString(CultureInfo.InvariantCulture);
        }

        if (problem.Extensions.TryGetValue("errorCount", out var count))
        {
            details["errorCount"] = Convert.ToString(count, CultureInfo.InvariantCulture) ?? "0";
        }

        await records.RecordRejectionAsync(PublishRejectedAction, attempt.Caller, attempt.DatasetId, attempt.Version, attempt.Provider, problem, attempt.Decision, details);
        LogRejected(logger, SafeText.Printable(attempt.DatasetId), SafeText.Printable(attempt.Version), problem.Type, problem.Status);
        return new PublishResult(null, problem);
    }

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Publication of {Dataset} version {Version} refused: {Reason} ({Status})")]
    private static partial void LogRejected(ILogger logger, string dataset, string version, string reason, int status);

}
