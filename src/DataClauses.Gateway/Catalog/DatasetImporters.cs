using System.Globalization;
using System.Security.Cryptography;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Catalog.Csv;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Storage;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace DataClauses.Gateway.Catalog;

/// <summary>
/// Imports a validated upload into a new version table, for one database: chosen once, at registration
/// (<see cref="CatalogServiceCollectionExtensions"/>), as the database context is.
/// </summary>
internal interface IDatasetImporter
{
    /// <summary>Reads the body, validates every row, stores the table, the version and its event in one transaction; or the problem, nothing stored.</summary>
    Task<PublishResult> ImportAsync(ImportJob job, Stream body, CancellationToken cancellationToken);
}

/// <summary>PostgreSQL: one transaction streaming the body into binary COPY as it arrives.</summary>
internal sealed class PostgresDatasetImporter(VersionCommitter committer) : IDatasetImporter
{
    /// <inheritdoc />
    public async Task<PublishResult> ImportAsync(ImportJob job, Stream body, CancellationToken cancellationToken)
    {
        using var upload = new UploadStream(body, job.Limit);
        job.Attempt.Upload = upload;
        return await committer.ImportAsync(
            job, upload, upload, outcome => outcome.Errors.HasErrors ? new PublishResult(null, PublishingProblem.Csv(outcome.Errors)) : null, cancellationToken);
    }
}

/// <summary>
/// SQLite: the body is validated while it is spooled to a temporary file, then imported from that file in one
/// short transaction, so that SQLite's single write lock is never held while a client uploads.
/// </summary>
internal sealed class SqliteDatasetImporter(StorageLocation storage, VersionCommitter committer) : IDatasetImporter
{
    /// <summary>How spooled upload files are named (under <see cref="UploadsDirectory"/>).</summary>
    private const string SpoolPrefix = "upload-";

    /// <inheritdoc />
    public async Task<PublishResult> ImportAsync(ImportJob job, Stream body, CancellationToken cancellationToken)
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
        return await committer.ImportAsync(
            job,
            spool,
            upload,
            outcome => outcome.Errors.HasErrors || outcome.Rows != check.Rows ? throw new InvalidOperationException("The spooled upload did not read the same the second time.") : (PublishResult?)null,
            CancellationToken.None);
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
}

/// <summary>The version row and its audit event, in the transaction holding the table and its rows; then commit.</summary>
internal sealed partial class VersionCommitter(GatewayDbContext db, AuditService audit, TimeProvider clock, IPublishedDatasets published, ILogger<VersionCommitter> logger)
{
    /// <summary>
    /// Reads <paramref name="source"/> into a new table in a new transaction; then the version is committed unless
    /// <paramref name="refuse"/> returns a result for the rows read (the transaction then rolls back).
    /// </summary>
    public async Task<PublishResult> ImportAsync(ImportJob job, Stream source, UploadStream upload, Func<CsvImportOutcome, PublishResult?> refuse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(refuse);
        var table = DatasetTables.NewName();
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        await DatasetTables.CreateAsync(db, table, job.Schema, CancellationToken.None);
        var sink = await DatasetTables.OpenSinkAsync(db, table, job.Schema, CancellationToken.None);
        CsvImportOutcome outcome;
        await using (var pipeline = new ImportPipeline(sink, job.UnitIdKey, RowValidator.KindsOf(job.Schema), CsvImport.BatchSize))
        {
            // Disposing the pipeline without completing it cancels the COPY; the transaction then rolls back.
            outcome = await CsvImport.RunAsync(source, job.Charset, job.Schema, job.Contract, job.Declaration, pipeline, null, cancellationToken);
        }

        return refuse(outcome) ?? await CommitAsync(job, transaction, table, outcome, upload);
    }

    /// <summary>Commits the imported table as the new current version, with its event; 409 when published concurrently.</summary>
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
            return new PublishResult(null, PublishingProblem.VersionExists(attempt.DatasetId, attempt.Version));
        }

        var elapsed = clock.GetElapsedTime(job.Started);
        var rate = outcome.Rows / Math.Max(elapsed.TotalSeconds, 1e-6);
        var auditEvent = PublishingRecords.Event(audit, DatasetPublisher.PublishedAction, "success", attempt.Caller) with
        {
            DataOwner = job.Declaration.Provider,
            Dataset = attempt.DatasetId,
            Version = attempt.Version,
            Effect = "permit",
            Reasons = PublishingRecords.AuditReasons(attempt.Decision),
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

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Published {Dataset} version {Version}: {Rows} rows in {DurationMs:F0} ms ({RowsPerSecond:F0} rows/s)")]
    private static partial void LogPublished(ILogger logger, string dataset, string version, long rows, double durationMs, double rowsPerSecond);
}

/// <summary>Who tries to publish what, and what is known so far (for the audit of a refusal).</summary>
internal sealed class ImportAttempt(Caller caller, string datasetId, string version)
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
internal sealed record ImportJob(
    ImportAttempt Attempt, Contract Contract, DatasetDeclaration Declaration, DatasetSchema Schema, byte[] UnitIdKey, CsvCharset Charset, long Limit, long Started);
