using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Storage;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;
using Microsoft.EntityFrameworkCore;

namespace DataClauses.Gateway.Catalog;

/// <summary>
/// Declares or updates a dataset's schema, for the API and the demo seeder alike: a publisher of the provider
/// organisation, under a clause in force, with a schema matching the contract; every refusal is audited.
/// </summary>
internal sealed partial class SchemaDeclarations(
    GatewayDbContext db,
    ContractCatalog contracts,
    AuditService audit,
    PublishingRecords records,
    Federation.NodeDirectory nodes,
    TimeProvider clock,
    ILogger<SchemaDeclarations> logger)
{
    /// <summary>Audit action of a first schema declaration.</summary>
    public const string DeclaredAction = "dataset.declared";

    /// <summary>Audit action of a schema change.</summary>
    public const string SchemaUpdatedAction = "dataset.schema-updated";

    /// <summary>Audit action of a refused declaration.</summary>
    public const string DeclareRejectedAction = "dataset.declare-rejected";

    /// <summary>Declares or updates a dataset's schema (a publisher of the provider organisation, under a clause in force).</summary>
    public async Task<DeclareResult> DeclareAsync(Caller caller, string datasetId, JsonElement schema, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (contracts.FindDataset(datasetId) is not ({ } contract, { } declaration))
        {
            return await RejectDeclarationAsync(caller, datasetId, null, PublishingProblem.NotFound(datasetId), null);
        }

        var decision = records.Decide(caller, datasetId);
        if (!decision.IsAllowed)
        {
            return await RejectDeclarationAsync(caller, datasetId, declaration, PublishingProblem.Forbidden(datasetId, decision), decision);
        }

        if (nodes.HolderOf(datasetId) is { } holder)
        {
            return await RejectDeclarationAsync(caller, datasetId, declaration, nodes.NotHeldHere(datasetId, holder), decision);
        }

        // A Frictionless Table Schema (schema.data.gouv.fr) is read into the gateway's format first, roles from the contract.
        var errors = new List<SchemaError>();
        var document = FrictionlessTableSchema.Is(schema) ? FrictionlessTableSchema.ToDeclaration(schema, declaration, errors) : schema;
        var parsed = document is { } readable ? DatasetSchema.Parse(readable, contract, declaration, errors) : null;
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
                return new DeclareResult(await records.ViewAsync(contract, declaration, existing, CancellationToken.None), Created: false, null);
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

            var auditEvent = PublishingRecords.Event(audit, created ? DeclaredAction : SchemaUpdatedAction, "success", caller) with
            {
                DataOwner = declaration.Provider,
                Dataset = datasetId,
                Effect = "permit",
                Reasons = PublishingRecords.AuditReasons(decision),
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
        return new DeclareResult(await records.ViewAsync(contract, declaration, entity, CancellationToken.None), created, null);
    }

    private async Task<DeclareResult> RejectDeclarationAsync(Caller caller, string datasetId, DatasetDeclaration? declaration, ApiProblem problem, Decision? decision)
    {
        var details = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["reason"] = problem.Type,
            ["status"] = problem.Status.ToString(CultureInfo.InvariantCulture),
        };
        await records.RecordRejectionAsync(DeclareRejectedAction, caller, datasetId, null, declaration?.Provider, problem, decision, details);
        LogDeclarationRejected(logger, SafeText.Printable(datasetId), problem.Type, problem.Status);
        return new DeclareResult(null, false, problem);
    }

    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Dataset {Dataset} schema {Change} ({Fields} fields)")]
    private static partial void LogDeclared(ILogger logger, string dataset, string change, int fields);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Dataset {Dataset} declaration refused: {Reason} ({Status})")]
    private static partial void LogDeclarationRejected(ILogger logger, string dataset, string reason, int status);
}
