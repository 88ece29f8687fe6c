using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using DataClauses.Audit;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Catalog.Csv;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Storage;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;
using Microsoft.AspNetCore.Connections;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

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
    PolicyDecisions decisions,
    AuditService audit,
    IServiceScopeFactory scopes,
    StorageLocation storage,
    TimeProvider clock,
    IOptions<GatewayOptions> options,
    IPublishedDatasets published,
    ILogger<DatasetPublisher> logger)
{
    /// <summary>How spooled upload files are named (under <see cref="UploadsDirectory"/>).</summary>
    private const string SpoolPrefix = "upload-";

    /// <summary>Audit action of a first schema declaration.</summary>
    public const string DeclaredAction = "dataset.declared";

    /// <summary>Audit action of a schema change.</summary>
    public const string SchemaUpdatedAction = "dataset.schema-updated";

    /// <summary>Audit action of a refused declaration.</summary>
    public const string DeclareRejectedAction = "dataset.declare-rejected";

    /// <summary>Audit action of a published version.</summary>
    public const string PublishedAction = "dataset.published";

    /// <summary>Audit action of a refused or interrupted upload.</summary>
    public const string PublishRejectedAction = "dataset.publish-rejected";

    /// <summary>Declares or updates a dataset's schema (a publisher of the provider organisation, under a clause in force).</summary>
    public async Task<DeclareResult> DeclareAsync(Caller caller, string datasetId, JsonElement schema, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (contracts.FindDataset(datasetId) is not ({ } contract, { } declaration))
        {
            return await RejectDeclarationAsync(caller, datasetId, null, PublishingProblem.NotFound(datasetId), null);
        }

        var decision = Decide(caller, datasetId);
        if (!decision.IsAllowed)
        {
            return await RejectDeclarationAsync(caller, datasetId, declaration, PublishingProblem.Forbidden(datasetId, decision), decision);
        }

        var errors = new List<SchemaError>();
        var parsed = DatasetSchema.Parse(schema, contract, declaration, errors);
        if (parsed is null)
        {
            var problem = PublishingProblem.Schema(
                StatusCodes.Status422UnprocessableEntity,
                "schema-invalid",
                "Schéma non conforme au contrat / Schema does not match the contract",
                $"The schema does not match dataset '{datasetId}' as contract '{contract.Id}' declares it: {errors.Count} error(s).",
                errors);
            return await RejectDeclarationAsync(caller, datasetId, declaration, problem, decision);
        }

        var json = parsed.ToJson();
        var title = parsed.Title ?? declaration.Title;
        var now = clock.GetUtcNow();
        bool created;
        DatasetEntity entity;
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
            var existing = await db.Datasets.FirstOrDefaultAsync(d => d.DatasetId == datasetId, CancellationToken.None);
            created = existing is null;
            if (existing is not null && string.Equals(existing.SchemaJson, json, StringComparison.Ordinal) && string.Equals(existing.Title, title, StringComparison.Ordinal))
            {
                // Nothing changes, so there is nothing to record.
                return new DeclareResult(await ViewAsync(contract, declaration, existing, CancellationToken.None), Created: false, null);
            }

            entity = existing ?? new DatasetEntity
            {
                DatasetId = datasetId,
                ContractId = contract.Id,
                ProviderId = declaration.Provider,
                Title = title,
                SchemaJson = json,
                UnitIdKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
                CreatedAt = now,
                UpdatedAt = now,
                DeclaredBy = caller.Subject,
            };
            if (existing is null)
            {
                db.Datasets.Add(entity);
            }
            else
            {
                // The unit-id key is kept: hashed identifiers stay comparable across versions.
                existing.SchemaJson = json;
                existing.Title = title;
                existing.UpdatedAt = now;
                existing.DeclaredBy = caller.Subject;
            }

            var auditEvent = Event(audit, created ? DeclaredAction : SchemaUpdatedAction, "success", caller) with
            {
                DataOwner = declaration.Provider,
                Dataset = datasetId,
                Effect = "permit",
                Reasons = AuditReasons(decision),
                Details = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["contract"] = contract.Id,
                    ["fields"] = parsed.Fields.Count.ToString(CultureInfo.InvariantCulture),
                    ["schemaSha256"] = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(json))),
                },
            };
            await audit.AppendInTransactionAsync(auditEvent, CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
        }
        catch (DbUpdateException)
        {
            // Two first declarations at once: the other one won.
            db.ChangeTracker.Clear();
            var conflict = new ApiProblem(StatusCodes.Status409Conflict, "conflict", "Conflit / Conflict", $"Dataset '{datasetId}' was declared concurrently; retry.");
            return await RejectDeclarationAsync(caller, datasetId, declaration, conflict, decision);
        }

        LogDeclared(logger, datasetId, created ? "declared" : "updated", parsed.Fields.Count);
        return new DeclareResult(await ViewAsync(contract, declaration, entity, CancellationToken.None), created, null);
    }

    /// <summary>Publishes a version from a CSV body (see <see cref="PublishAsync(Caller, string, string, Stream, string?, long?, CancellationToken)"/>).</summary>
    public Task<PublishResult> PublishAsync(Caller caller, string datasetId, string version, Stream body, string? contentType, CancellationToken cancellationToken) =>
        PublishAsync(caller, datasetId, version, body, contentType, declaredLength: null, cancellationToken);

    /// <summary>
    /// Publishes a version from a CSV body. Checks, in order: dataset known (404), publish decision (403), version
    /// id (400), content type and charset (415), declared length (413), schema declared and still matching the
    /// contract (409), version new (409); then streams the body (413 past the limit; 400/422 for an invalid file).
    /// <paramref name="cancellationToken"/> only stops reading the body (the client went away): database work is
    /// never interrupted half-way, it is rolled back.
    /// </summary>
    public async Task<PublishResult> PublishAsync(
        Caller caller, string datasetId, string version, Stream body, string? contentType, long? declaredLength, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(body);
        var started = clock.GetTimestamp();
        using var activity = Telemetry.Source.StartActivity(Telemetry.Spans.Import);
        activity?.SetTag("dataclauses.dataset", datasetId);
        activity?.SetTag("dataclauses.version", version);
        var attempt = new Attempt(caller, datasetId, version);
        if (contracts.FindDataset(datasetId) is not ({ } contract, { } declaration))
        {
            return await RejectAsync(attempt, PublishingProblem.NotFound(datasetId));
        }

        attempt.Provider = declaration.Provider;
        var decision = Decide(caller, datasetId);
        attempt.Decision = decision;
        if (!decision.IsAllowed)
        {
            return await RejectAsync(attempt, PublishingProblem.Forbidden(datasetId, decision));
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

        if (ContentTypeProblem(contentType, out var charset) is { } unsupported)
        {
            return await RejectAsync(attempt, unsupported);
        }

        var limit = options.Value.Limits.MaxUploadBytes;
        if (declaredLength > limit)
        {
            return await RejectAsync(attempt, TooLarge(limit));
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
            return await RejectAsync(attempt, VersionExists(datasetId, version));
        }

        var job = new ImportJob(attempt, contract, declaration, schema, Convert.FromHexString(entity.UnitIdKey), charset, limit, started);
        PublishResult result;
        try
        {
            result = db.IsPostgreSql
                ? await ImportPostgresAsync(job, body, cancellationToken)
                : await ImportSqliteAsync(job, body, cancellationToken);
        }
        catch (UploadTooLargeException)
        {
            return await RejectAsync(attempt, TooLarge(limit));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return await RejectAsync(attempt, TooLarge(limit));
        }
        catch (Exception e) when (e is BadHttpRequestException || IsDisconnection(e, cancellationToken))
        {
            // A body cut short: Kestrel reports the end of its input (the client closed or reset the connection) or
            // the aborted request, whichever it notices first. The same upload must get the same answer and audit:
            // with a Content-Length, the body ended before it; without one (chunked), the client went away.
            var read = attempt.Upload?.BytesRead ?? 0;
            return await RejectAsync(attempt, declaredLength is { } announced
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
        return (await ViewAsync(contract, declaration, entity, cancellationToken), null);
    }

    /// <summary>Whether the caller's organisation provides the dataset or receives it under a clause in force (or an open one).</summary>
    public bool CanSee(Caller caller, DatasetDeclaration declaration)
    {
        ArgumentNullException.ThrowIfNull(declaration);
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        return CatalogApi.CanSee(caller, declaration, contracts.Contracts.ClausesInForce(declaration.Id, today));
    }

    /// <summary>The folder SQLite uploads are spooled to while they are validated (under the data directory).</summary>
    public static string UploadsDirectory(StorageLocation storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return Path.Combine(storage.DataDirectory, "uploads");
    }

    /// <summary>
    /// Deletes the spool files that uploads interrupted by the death of their process left behind: a spool is deleted
    /// when it is closed, which a killed process never does. Called at start, before the gateway serves. A spool
    /// that another process on the same data directory still uses is safe: on Unix it stays readable through its
    /// open handle once unlinked; on Windows it cannot be deleted and is left to that process.
    /// </summary>
    /// <returns>The number of files deleted.</returns>
    public static int DeleteAbandonedUploads(StorageLocation storage)
    {
        var directory = UploadsDirectory(storage);
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        var deleted = 0;
        foreach (var file in Directory.EnumerateFiles(directory, SpoolPrefix + "*.csv"))
        {
            try
            {
                File.Delete(file);
                deleted++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // In use by a live upload of another process.
            }
        }

        return deleted;
    }

    /// <summary>The charset of an accepted Content-Type, or the 415 problem.</summary>
    internal static ApiProblem? ContentTypeProblem(string? contentType, out CsvCharset charset)
    {
        charset = CsvCharset.Utf8;
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || !(mediaType.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase) || mediaType.MediaType.Equals("application/csv", StringComparison.OrdinalIgnoreCase)))
        {
            return new ApiProblem(
                StatusCodes.Status415UnsupportedMediaType,
                "unsupported-media-type",
                "Type de contenu non pris en charge / Unsupported media type",
                $"Send the CSV file with 'Content-Type: text/csv' (optionally '; charset=windows-1252'), not '{contentType ?? "(none)"}'.");
        }

        var declared = mediaType.Charset.HasValue ? mediaType.Charset.Value : null;
        if (!CsvCharsets.TryParse(declared, out charset))
        {
            return new ApiProblem(
                StatusCodes.Status415UnsupportedMediaType,
                "unsupported-charset",
                "Encodage non pris en charge / Unsupported charset",
                $"Charset '{declared}' is not supported: send UTF-8 (preferred), windows-1252 (also iso-8859-1) or iso-8859-15.");
        }

        return null;
    }

    private static bool IsDisconnection(Exception e, CancellationToken cancellationToken) =>
        e is ConnectionResetException
        || (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
        || (e is IOException && cancellationToken.IsCancellationRequested);

    private static ApiProblem TooLarge(long limit) => new(
        StatusCodes.Status413PayloadTooLarge,
        "payload-too-large",
        "Contenu trop volumineux / Payload too large",
        $"The upload exceeds the limit of {limit.ToString(CultureInfo.InvariantCulture)} bytes (DataClauses:Limits:MaxUploadBytes). Nothing was stored.")
    {
        Extensions = new Dictionary<string, object?>(StringComparer.Ordinal) { ["limit"] = limit },
    };

    private static ApiProblem VersionExists(string datasetId, string version) => new(
        StatusCodes.Status409Conflict,
        "version-exists",
        "Version déjà publiée / Version already published",
        $"Version '{version}' of '{datasetId}' is already published; versions are immutable: publish a new version id.");

    private Decision Decide(Caller caller, string datasetId) => decisions.Decide(new DecisionRequest
    {
        Requester = caller.ToRequester(),
        Action = PolicyAction.Publish,
        Dataset = datasetId,
    });

    /// <summary>PostgreSQL: one transaction streaming the body into binary COPY as it arrives.</summary>
    private async Task<PublishResult> ImportPostgresAsync(ImportJob job, Stream body, CancellationToken cancellationToken)
    {
        using var upload = new UploadStream(body, job.Limit);
        job.Attempt.Upload = upload;
        var table = DatasetTables.NewName();
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        await DatasetTables.CreateAsync(db, table, job.Schema, CancellationToken.None);
        var sink = await DatasetTables.OpenSinkAsync(db, table, job.Schema, CancellationToken.None);
        CsvImportOutcome outcome;
        await using (var pipeline = new ImportPipeline(sink, job.UnitIdKey, RowValidator.KindsOf(job.Schema), CsvImport.BatchSize))
        {
            // Disposing the pipeline without completing it cancels the COPY; the transaction then rolls back.
            outcome = await CsvImport.RunAsync(upload, job.Charset, job.Schema, job.Contract, job.Declaration, pipeline, null, cancellationToken);
        }

        if (outcome.Errors.HasErrors)
        {
            return new PublishResult(null, PublishingProblem.Csv(outcome.Errors));
        }

        return await CommitAsync(job, transaction, table, outcome, upload);
    }

    /// <summary>
    /// SQLite: the body is validated while it is spooled to a temporary file, then imported from that file in one
    /// short transaction, so that SQLite's single write lock is never held while a client uploads.
    /// </summary>
    private async Task<PublishResult> ImportSqliteAsync(ImportJob job, Stream body, CancellationToken cancellationToken)
    {
        var directory = UploadsDirectory(storage);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{SpoolPrefix}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.csv");
        await using var spool = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        using var upload = new UploadStream(body, job.Limit, spool);
        job.Attempt.Upload = upload;
        var check = await CsvImport.RunAsync(upload, job.Charset, job.Schema, job.Contract, job.Declaration, null, upload.StopSpooling, cancellationToken);
        if (check.Errors.HasErrors)
        {
            return new PublishResult(null, PublishingProblem.Csv(check.Errors));
        }

        await spool.FlushAsync(CancellationToken.None);
        spool.Position = 0;
        var table = DatasetTables.NewName();
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        await DatasetTables.CreateAsync(db, table, job.Schema, CancellationToken.None);
        var sink = await DatasetTables.OpenSinkAsync(db, table, job.Schema, CancellationToken.None);
        CsvImportOutcome outcome;
        await using (var pipeline = new ImportPipeline(sink, job.UnitIdKey, RowValidator.KindsOf(job.Schema), CsvImport.BatchSize))
        {
            outcome = await CsvImport.RunAsync(spool, job.Charset, job.Schema, job.Contract, job.Declaration, pipeline, null, CancellationToken.None);
        }

        if (outcome.Errors.HasErrors || outcome.Rows != check.Rows)
        {
            throw new InvalidOperationException("The spooled upload did not read the same the second time.");
        }

        return await CommitAsync(job, transaction, table, outcome, upload);
    }

    /// <summary>The version row and its audit event, in the transaction holding the table and its rows; then commit.</summary>
    private async Task<PublishResult> CommitAsync(ImportJob job, IDbContextTransaction transaction, string table, CsvImportOutcome outcome, UploadStream upload)
    {
        var attempt = job.Attempt;
        var now = clock.GetUtcNow();
        var entity = new DatasetVersionEntity
        {
            DatasetId = attempt.DatasetId,
            Version = attempt.Version,
            TableName = table,
            RowCount = outcome.Rows,
            ContentSha256 = upload.Sha256,
            SchemaJson = job.Schema.ToJson(),
            PublishedAt = now,
            PublishedBy = attempt.Caller.Subject,
        };
        db.DatasetVersions.Add(entity);
        try
        {
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (DbUpdateException)
        {
            // The same version was published concurrently and committed first.
            db.ChangeTracker.Clear();
            await transaction.RollbackAsync(CancellationToken.None);
            return new PublishResult(null, VersionExists(attempt.DatasetId, attempt.Version));
        }

        var elapsed = clock.GetElapsedTime(job.Started);
        var rate = outcome.Rows / Math.Max(elapsed.TotalSeconds, 1e-6);
        var auditEvent = Event(audit, PublishedAction, "success", attempt.Caller) with
        {
            DataOwner = job.Declaration.Provider,
            Dataset = attempt.DatasetId,
            Version = attempt.Version,
            Effect = "permit",
            Reasons = AuditReasons(attempt.Decision),
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["rows"] = outcome.Rows.ToString(CultureInfo.InvariantCulture),
                ["bytes"] = upload.BytesRead.ToString(CultureInfo.InvariantCulture),
                ["contentSha256"] = entity.ContentSha256,
                ["table"] = table,
                ["durationMs"] = Math.Round(elapsed.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                ["charset"] = CsvCharsets.ToWire(outcome.Charset),
                ["separator"] = ((char)outcome.Separator).ToString(),
            },
        };
        await audit.AppendInTransactionAsync(auditEvent, CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        published.Invalidate(attempt.DatasetId);

        var tags = new KeyValuePair<string, object?>("dataset", attempt.DatasetId);
        Telemetry.ImportedRows.Add(outcome.Rows, tags);
        Telemetry.ImportRate.Record(rate, tags);
        LogPublished(logger, attempt.DatasetId, attempt.Version, outcome.Rows, elapsed.TotalMilliseconds, rate);
        var import = new ImportView(upload.BytesRead, CsvCharsets.ToWire(outcome.Charset), ((char)outcome.Separator).ToString(), Math.Round(elapsed.TotalMilliseconds, 1), Math.Round(rate));
        return new PublishResult(new PublishedView(entity.DatasetId, entity.Version, entity.RowCount, entity.ContentSha256, entity.PublishedAt, entity.PublishedBy, Current: true, import), null);
    }

    /// <summary>Records a refused upload in its own transaction (on a fresh context: the request's may be mid-failure).</summary>
    private async Task<PublishResult> RejectAsync(Attempt attempt, ApiProblem problem)
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

        await RecordRejectionAsync(PublishRejectedAction, attempt.Caller, attempt.DatasetId, attempt.Version, attempt.Provider, problem, attempt.Decision, details);
        LogRejected(logger, SafeText.Printable(attempt.DatasetId), SafeText.Printable(attempt.Version), problem.Type, problem.Status);
        return new PublishResult(null, problem);
    }

    private async Task<DeclareResult> RejectDeclarationAsync(Caller caller, string datasetId, DatasetDeclaration? declaration, ApiProblem problem, Decision? decision)
    {
        var details = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["reason"] = problem.Type,
            ["status"] = problem.Status.ToString(CultureInfo.InvariantCulture),
        };
        await RecordRejectionAsync(DeclareRejectedAction, caller, datasetId, null, declaration?.Provider, problem, decision, details);
        LogDeclarationRejected(logger, SafeText.Printable(datasetId), problem.Type, problem.Status);
        return new DeclareResult(null, false, problem);
    }

    private async Task RecordRejectionAsync(
        string action, Caller caller, string datasetId, string? version, string? provider, ApiProblem problem, Decision? decision, Dictionary<string, string> details)
    {
        await using var scope = scopes.CreateAsyncScope();
        var scopedAudit = scope.ServiceProvider.GetRequiredService<AuditService>();
        var auditEvent = Event(scopedAudit, action, problem.Status == StatusCodes.Status403Forbidden ? "denied" : "failure", caller) with
        {
            DataOwner = provider,
            Dataset = datasetId,
            Version = version,
            Effect = decision is null ? null : decision.IsAllowed ? "permit" : "deny",
            Reasons = AuditReasons(decision),
            Details = details,
        };

        // The client may be gone: the record is written regardless.
        await scopedAudit.RecordAsync(auditEvent, CancellationToken.None);
    }

    private async Task<DatasetView> ViewAsync(Contract contract, DatasetDeclaration declaration, DatasetEntity? entity, CancellationToken cancellationToken)
    {
        var versions = await db.DatasetVersions.AsNoTracking().Where(v => v.DatasetId == declaration.Id).ToListAsync(cancellationToken);
        var views = Views(versions);
        JsonElement? schema = null;
        if (entity is not null)
        {
            using var document = JsonDocument.Parse(entity.SchemaJson);
            schema = document.RootElement.Clone();
        }

        return new DatasetView(
            declaration.Id,
            entity?.Title ?? declaration.Title,
            declaration.Provider,
            contract.Id,
            declaration.Zoning.ToWire(),
            entity is not null,
            schema,
            entity?.CreatedAt,
            entity?.UpdatedAt,
            entity?.DeclaredBy,
            views.LastOrDefault()?.Version,
            views);
    }

    /// <summary>The versions oldest first; the current one is the last published.</summary>
    internal static List<VersionView> Views(IEnumerable<DatasetVersionEntity> versions)
    {
        var ordered = versions.OrderBy(v => v.PublishedAt).ThenBy(v => v.Version, StringComparer.Ordinal).ToList();
        return [.. ordered.Select((v, i) => new VersionView(v.DatasetId, v.Version, v.RowCount, v.ContentSha256, v.PublishedAt, v.PublishedBy, Current: i == ordered.Count - 1))];
    }

    private static AuditEvent Event(AuditService service, string action, string outcome, Caller caller)
    {
        // The caller is the actor, also when there is no HTTP request (the demo seeder).
        var auditEvent = service.Create(action, outcome);
        return auditEvent with { Actor = new AuditActor(caller.Subject, caller.Organisation, caller.Roles, caller.ClientId, auditEvent.Actor.Ip) };
    }

    private static List<AuditReason> AuditReasons(Decision? decision) =>
        decision is null ? [] : [.. decision.Reasons.Select(r => new AuditReason(r.Rule, r.ClauseId, r.Subject))];

    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Dataset {Dataset} schema {Change} ({Fields} fields)")]
    private static partial void LogDeclared(ILogger logger, string dataset, string change, int fields);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Dataset {Dataset} declaration refused: {Reason} ({Status})")]
    private static partial void LogDeclarationRejected(ILogger logger, string dataset, string reason, int status);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Published {Dataset} version {Version}: {Rows} rows in {DurationMs:F0} ms ({RowsPerSecond:F0} rows/s)")]
    private static partial void LogPublished(ILogger logger, string dataset, string version, long rows, double durationMs, double rowsPerSecond);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Publication of {Dataset} version {Version} refused: {Reason} ({Status})")]
    private static partial void LogRejected(ILogger logger, string dataset, string version, string reason, int status);

    /// <summary>Who tries to publish what, and what is known so far (for the audit of a refusal).</summary>
    private sealed class Attempt(Caller caller, string datasetId, string version)
    {
        public Caller Caller { get; } = caller;

        public string DatasetId { get; } = datasetId;

        public string Version { get; } = version;

        public string? Provider { get; set; }

        public Decision? Decision { get; set; }

        /// <summary>The body being read, for the byte count of an interrupted upload.</summary>
        public UploadStream? Upload { get; set; }
    }

    /// <summary>Everything an import needs, resolved before the body is read.</summary>
    private sealed record ImportJob(
        Attempt Attempt, Contract Contract, DatasetDeclaration Declaration, DatasetSchema Schema, byte[] UnitIdKey, CsvCharset Charset, long Limit, long Started);
}
