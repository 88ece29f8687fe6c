using System.Text;
using System.Text.Json;
using DataClauses.Gateway.Catalog.Csv;
using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace DataClauses.Gateway.Demo;

/// <summary>
/// Publishes the SYNTHETIC demo datasets on first start through the same path partners use (schema declaration,
/// CSV upload, validation, typed tables, audit), as the providers' demo publishers. Idempotent: a version already
/// published is left alone, so a second start reuses the data.
/// </summary>
internal sealed partial class DemoDataSeeder(
    GatewayDbContext db,
    SchemaDeclarations declarations,
    DatasetPublisher publisher,
    ContractCatalog contracts,
    Federation.NodeDirectory nodes,
    ILogger<DemoDataSeeder> logger)
{
    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        var demo = contracts.Contracts.Contracts.FirstOrDefault(c => c.Id == "cdv-demo-2024-2030");
        if (demo is null)
        {
            LogNoDemoContract(logger);
            return;
        }

        // In a federation each node publishes only the datasets it holds (its own organisation's).
        foreach (var dataset in SyntheticData.Generate(demo).Where(d => nodes.HolderOf(d.DatasetId) is null))
        {
            var existing = await db.DatasetVersions.AsNoTracking()
                .Where(v => v.DatasetId == dataset.DatasetId)
                .Select(v => v.Version)
                .ToListAsync(cancellationToken);
            if (dataset.Versions.All(v => existing.Contains(v.Version)))
            {
                continue;
            }

            var caller = new Caller(DemoAccounts.ClientId(dataset.Provider, Roles.Publisher), DemoAccounts.ClientId(dataset.Provider, Roles.Publisher), dataset.Provider, [Roles.Publisher]);
            using var schema = JsonDocument.Parse(dataset.SchemaJson);
            var declared = await declarations.DeclareAsync(caller, dataset.DatasetId, schema.RootElement, cancellationToken);
            if (declared.Problem is { } problem)
            {
                throw new InvalidOperationException($"The demo schema of {dataset.DatasetId} was refused: {problem.Detail}");
            }

            foreach (var (version, csv) in dataset.Versions.Where(v => !existing.Contains(v.Version)))
            {
                await using var body = new MemoryStream(Encoding.UTF8.GetBytes(csv));
                var result = await publisher.PublishAsync(caller, dataset.DatasetId, version, new CsvUpload(body, CsvCharset.Utf8, DeclaredLength: null), cancellationToken);

                // Another replica seeding at the same time may have published it first.
                if (result.Problem is { } refused && !refused.Type.EndsWith("version-exists", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"The demo version {dataset.DatasetId} {version} was refused: {refused.Detail}");
                }
            }
        }
    }

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "The demo contract cdv-demo-2024-2030 is not loaded: no synthetic data seeded")]
    private static partial void LogNoDemoContract(ILogger logger);
}
