using DataClauses.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace DataClauses.Gateway.Catalog;

/// <summary>A published, visible version of a dataset and where its rows are.</summary>
/// <param name="DatasetId">Dataset id.</param>
/// <param name="Version">Version id.</param>
/// <param name="TableName">The typed table holding its rows (a generated name, safe to quote in SQL).</param>
/// <param name="RowCount">Rows.</param>
/// <param name="PublishedAt">When it became visible.</param>
/// <param name="ContentSha256">Hash of the uploaded bytes.</param>
/// <param name="Columns">Its columns (the schema's field names, which are the contract's dimension and measure names).</param>
internal sealed record PublishedVersion(string DatasetId, string Version, string TableName, long RowCount, DateTimeOffset PublishedAt, string ContentSha256, IReadOnlyList<string> Columns);

/// <summary>
/// How other features find published versions without reading the catalogue's tables themselves (DESIGN.md: a
/// cross-feature call goes through a small interface).
/// </summary>
internal interface IPublishedDatasets
{
    /// <summary>A version of a dataset, or the current one (the last published) when <paramref name="version"/> is null; null when none.</summary>
    Task<PublishedVersion?> FindAsync(string datasetId, string? version, CancellationToken cancellationToken);
}

/// <summary>The catalogue's implementation over its metadata tables.</summary>
internal sealed class PublishedDatasets(GatewayDbContext db) : IPublishedDatasets
{
    public async Task<PublishedVersion?> FindAsync(string datasetId, string? version, CancellationToken cancellationToken)
    {
        var query = db.DatasetVersions.AsNoTracking().Where(v => v.DatasetId == datasetId);
        var entity = version is null
            ? (await query.ToListAsync(cancellationToken)).OrderByDescending(v => v.PublishedAt).ThenByDescending(v => v.Version, StringComparer.Ordinal).FirstOrDefault()
            : await query.FirstOrDefaultAsync(v => v.Version == version, cancellationToken);
        if (entity is null || !DatasetTables.IsValidName(entity.TableName))
        {
            return null;
        }

        // The stored schema was validated at publication: its field names are safe column names.
        using var schema = System.Text.Json.JsonDocument.Parse(entity.SchemaJson);
        var columns = schema.RootElement.GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("name").GetString()!).ToList();
        return new PublishedVersion(entity.DatasetId, entity.Version, entity.TableName, entity.RowCount, entity.PublishedAt, entity.ContentSha256, columns);
    }
}
