using System.Collections.Concurrent;
using DataClauses.Audit;
using DataClauses.Gateway.Catalog;

namespace DataClauses.Gateway.Queries;

/// <summary>
/// The protected cubes this process has loaded or built, by key. Single flight: concurrent first queries of a cube
/// share one load-or-build (one <see cref="Lazy{T}"/> per key), which runs detached from the requests that wait for
/// it, so that a client going away neither cancels it for the others nor leaves it half done. A failed build is
/// forgotten, so that the next query tries again. Cubes are immutable, so a cached one never goes stale.
/// </summary>
internal sealed class CubeCache(IServiceScopeFactory scopes, IHostApplicationLifetime lifetime)
{
    private readonly ConcurrentDictionary<CubeKey, Lazy<Task<ProtectedCube>>> _cubes = new();

    /// <summary>The cube of a definition and version: from memory, else from storage, else built once.</summary>
    public async Task<ProtectedCube> GetAsync(CubeDefinition definition, PublishedVersion version, AuditEvent trigger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(version);
        var key = definition.KeyFor(version.Version);
        if (!_cubes.TryGetValue(key, out var lazy))
        {
            Lazy<Task<ProtectedCube>>? created = null;
            created = new Lazy<Task<ProtectedCube>>(() => Start(definition, version, trigger, () => _cubes.TryRemove(new KeyValuePair<CubeKey, Lazy<Task<ProtectedCube>>>(key, created!))));
            lazy = _cubes.GetOrAdd(key, created);
        }

        return await lazy.Value.WaitAsync(cancellationToken);
    }

    private Task<ProtectedCube> Start(CubeDefinition definition, PublishedVersion version, AuditEvent trigger, Func<bool> forget)
    {
        // Detached from the first request: no HttpContext, activity or cancellation of its own flows into the build.
        using (ExecutionContext.SuppressFlow())
        {
            return Task.Run(async () =>
            {
                try
                {
                    return await LoadOrBuildAsync(definition, version, trigger);
                }
                catch
                {
                    // Forget this failed attempt (only this one), so that the next query tries again.
                    forget();
                    throw;
                }
            });
        }
    }

    private async Task<ProtectedCube> LoadOrBuildAsync(CubeDefinition definition, PublishedVersion version, AuditEvent trigger)
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<CubeStore>();
        return await store.LoadOrBuildAsync(definition, version, trigger, lifetime.ApplicationStopping);
    }
}
