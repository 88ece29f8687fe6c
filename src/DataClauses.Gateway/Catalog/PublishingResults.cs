using System.Globalization;
using System.Text.Json;
using DataClauses.Gateway.Catalog.Csv;
using DataClauses.Gateway.Hosting;
using DataClauses.Policy.Engine;

namespace DataClauses.Gateway.Catalog;

/// <summary>A dataset as the publishing API shows it (never its unit-id key).</summary>
/// <param name="DatasetId">Dataset id (from the contract).</param>
/// <param name="Title">Title (the schema's, else the contract's).</param>
/// <param name="Provider">Providing organisation.</param>
/// <param name="Contract">The contract declaring it.</param>
/// <param name="Zoning">QPV zoning of its geography (<c>qpv2024</c> or <c>qpv2015</c>).</param>
/// <param name="Declared">Whether its provider has declared a schema.</param>
/// <param name="Schema">The normalised schema (null until declared).</param>
/// <param name="CreatedAt">First declaration.</param>
/// <param name="UpdatedAt">Last schema change.</param>
/// <param name="DeclaredBy">Who declared the current schema (subject).</param>
/// <param name="CurrentVersion">The version new queries use: the last one published (null before any).</param>
/// <param name="Versions">The published versions, oldest first.</param>
internal sealed record DatasetView(
    string DatasetId,
    string Title,
    string Provider,
    string Contract,
    string Zoning,
    bool Declared,
    JsonElement? Schema,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? UpdatedAt,
    string? DeclaredBy,
    string? CurrentVersion,
    IReadOnlyList<VersionView> Versions);

/// <summary>A published version.</summary>
/// <param name="DatasetId">Dataset id.</param>
/// <param name="Version">Version id.</param>
/// <param name="RowCount">Rows stored.</param>
/// <param name="ContentSha256">Hex SHA-256 of the bytes uploaded.</param>
/// <param name="PublishedAt">When it became visible.</param>
/// <param name="PublishedBy">Who published it (subject).</param>
/// <param name="Current">Whether it is the version new queries use.</param>
internal sealed record VersionView(string DatasetId, string Version, long RowCount, string ContentSha256, DateTimeOffset PublishedAt, string PublishedBy, bool Current);

/// <summary>The versions of a dataset.</summary>
/// <param name="DatasetId">Dataset id.</param>
/// <param name="CurrentVersion">The version new queries use (null before any).</param>
/// <param name="Versions">Oldest first.</param>
internal sealed record VersionListView(string DatasetId, string? CurrentVersion, IReadOnlyList<VersionView> Versions);

/// <summary>How an upload went.</summary>
/// <param name="Bytes">Bytes received.</param>
/// <param name="Charset">Encoding decoded (<c>utf-8</c>, <c>windows-1252</c>, <c>iso-8859-15</c>).</param>
/// <param name="Separator">Detected separator.</param>
/// <param name="DurationMs">From the first byte read to the commit.</param>
/// <param name="RowsPerSecond">Rows stored per second.</param>
internal sealed record ImportView(long Bytes, string Charset, string Separator, double DurationMs, double RowsPerSecond);

/// <summary>A version just published (the fields of <see cref="VersionView"/>), with how the import went.</summary>
/// <param name="DatasetId">Dataset id.</param>
/// <param name="Version">Version id.</param>
/// <param name="RowCount">Rows stored.</param>
/// <param name="ContentSha256">Hex SHA-256 of the bytes uploaded.</param>
/// <param name="PublishedAt">When it became visible.</param>
/// <param name="PublishedBy">Who published it (subject).</param>
/// <param name="Current">Always true: a new version is the current one.</param>
/// <param name="Import">Import figures.</param>
internal sealed record PublishedView(
    string DatasetId, string Version, long RowCount, string ContentSha256, DateTimeOffset PublishedAt, string PublishedBy, bool Current, ImportView Import);

/// <summary>The refusals of the publishing service (for the API and the demo seeder alike), as <see cref="ApiProblem"/> values.</summary>
internal static class PublishingProblem
{
    /// <summary>413: the upload is over the limit.</summary>
    internal static ApiProblem TooLarge(long limit) => new(
        StatusCodes.Status413PayloadTooLarge,
        "payload-too-large",
        "Contenu trop volumineux / Payload too large",
        $"The upload exceeds the limit of {limit.ToString(CultureInfo.InvariantCulture)} bytes (DataClauses:Limits:MaxUploadBytes). Nothing was stored.")
    {
        Extensions = new Dictionary<string, object?>(StringComparer.Ordinal) { ["limit"] = limit },
    };

    /// <summary>409: versions are immutable.</summary>
    internal static ApiProblem VersionExists(string datasetId, string version) => new(
        StatusCodes.Status409Conflict,
        "version-exists",
        "Version déjà publiée / Version already published",
        $"Version '{version}' of '{datasetId}' is already published; versions are immutable: publish a new version id.");

    internal static ApiProblem NotFound(string datasetId) =>
        new(StatusCodes.Status404NotFound, "not-found", "Introuvable / Not found", $"Dataset '{datasetId}' does not exist or is not visible to you.");

    internal static ApiProblem Forbidden(string datasetId, Decision decision) =>
        new(StatusCodes.Status403Forbidden, "forbidden", "Accès refusé / Forbidden", $"You may not publish dataset '{datasetId}': only a publisher of its provider organisation may, under a clause in force.")
        {
            Extensions = new Dictionary<string, object?>(StringComparer.Ordinal) { ["reasons"] = decision.Reasons.Select(ReasonView).ToList() },
        };

    internal static ApiProblem Csv(CsvErrorCollector errors)
    {
        var (status, type, title, detail) = errors.Class switch
        {
            CsvErrorClass.Encoding => (400, "csv-encoding", "Encodage du fichier invalide / File encoding invalid", "The file cannot be decoded as text in its declared encoding."),
            CsvErrorClass.Structure => (400, "csv-structure", "Fichier CSV mal formé / Malformed CSV", "The file cannot be split reliably into records and fields."),
            CsvErrorClass.Header => (422, "csv-header", "En-tête non conforme au schéma / Header does not match the schema", "The header line must name each column of the dataset's schema once, and nothing else."),
            _ => (422, "csv-values", "Valeurs invalides / Invalid values", "Some values do not fit the dataset's schema or the contract."),
        };
        return new ApiProblem(status, type, title, $"{detail} Nothing was stored. {errors.Count} error(s){(errors.Truncated ? $", the first {errors.Errors.Count} listed" : string.Empty)}.")
        {
            Extensions = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["errors"] = errors.Errors.Select(e => new { line = e.Line, column = e.Column, field = e.Field, code = e.Code, message = e.Message }).ToList(),
                ["errorCount"] = errors.Count,
                ["truncated"] = errors.Truncated,
            },
        };
    }

    internal static ApiProblem Schema(int status, string type, string title, string detail, IEnumerable<SchemaError> errors) =>
        new(status, type, title, detail)
        {
            Extensions = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["errors"] = errors.Select(e => new { path = e.Path, code = e.Code, message = e.Message }).ToList(),
            },
        };

    private static object ReasonView(Reason reason) => new
    {
        rule = reason.Rule,
        contract = reason.ContractId,
        clause = reason.ClauseId,
        subject = reason.Subject,
        message = new { fr = reason.MessageFr, en = reason.MessageEn },
    };
}

/// <summary>The outcome of <see cref="SchemaDeclarations.DeclareAsync"/>: the dataset, or a problem.</summary>
/// <param name="Dataset">The dataset as declared.</param>
/// <param name="Created">True on the first declaration, false on an update (or no change).</param>
/// <param name="Problem">Why it was refused.</param>
internal sealed record DeclareResult(DatasetView? Dataset, bool Created, ApiProblem? Problem)
{
    /// <summary>True when the schema is declared.</summary>
    public bool Succeeded => Problem is null;
}

/// <summary>The outcome of <see cref="DatasetPublisher.PublishAsync"/>: the version, or a problem.</summary>
/// <param name="Published">The version published.</param>
/// <param name="Problem">Why it was refused.</param>
internal sealed record PublishResult(PublishedView? Published, ApiProblem? Problem)
{
    /// <summary>True when the version is visible.</summary>
    public bool Succeeded => Problem is null;
}

/// <summary>A CSV body to publish: its stream, its charset (or why its Content-Type is refused), its announced length.</summary>
/// <param name="Body">The CSV bytes.</param>
/// <param name="Charset">The declared charset (UTF-8 when none).</param>
/// <param name="DeclaredLength">The Content-Length, when announced.</param>
internal sealed record CsvUpload(Stream Body, CsvCharset Charset, long? DeclaredLength)
{
    /// <summary>415 when the body is not declared as CSV in a supported charset; reported in its turn, after the dataset, decision and version checks.</summary>
    public ApiProblem? Unsupported { get; init; }
}
