using System.Collections.Concurrent;
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

    /// <summary>Forgets what is known of the dataset's current version: called when this node published a new one.</summary>
    void Invalidate(string datasetId);
}

/// <summary>
/// The catalogue's implementation over its metadata tables, with a cache in front: every protected query asks for a
/// version, and reading the catalogue each time cost more than the rest of the query. A named version is immutable,
/// so once found it is kept; the current version of a dataset is kept for <see cref="CurrentVersionLifetime"/> only,
/// and forgotten at once when this node publishes, so a version published through another replica is used by new
/// queries here at most that long after it became visible.
/// </summary>
internal sealed class PublishedDatasets(IServiceScopeFactory scopes, TimeProvider clock) : IPublishedDatasets
{
    /// <summary>How long the current version of a dataset is trusted before the catalogue is read again.</summary>
    public static readonly TimeSpan CurrentVersionLifetime = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<(string Dataset, string Version), PublishedVersion> _versions = new();
    private readonly ConcurrentDictionary<string, (PublishedVersion Version, DateTimeOffset Until)> _current = new(StringComparer.Ordinal);

    public async Task<PublishedVersion?> FindAsync(string datasetId, string? version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(datasetId);
        if (version is not null && _versions.TryGetValue((datasetId, version), out var known))
        {
            return known;
        }

        if (version is null && _current.TryGetValue(datasetId, out var current) && current.Until > clock.GetUtcNow())
        {
            return current.Version;
        }

        // Read the clock before the catalogue, so that a version published meanwhile is not hidden for a whole lifetime.
        var readAt = clock.GetUtcNow();
        var found = await ReadAsync(datasetId, version, cancellationToken);
        if (found is not null)
        {
            _versions.TryAdd((found.DatasetId, found.Version), found);
            if (version is null)
            {
                _current[datasetId] = (found, readAt + CurrentVersionLifetime);
            }
        }

        // Misses are not kept: the version may be published the next moment.
        return found;
    }

    public void Invalidate(string datasetId) => _current.TryRemove(datasetId, out _);

    private async Task<PublishedVersion?> ReadAsync(string datasetId, string? version, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
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
