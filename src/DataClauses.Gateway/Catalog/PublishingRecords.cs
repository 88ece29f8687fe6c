using System.Text.Json;
using DataClauses.Audit;
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
/// What schema declaration and version publishing share: the publish decision, the dataset's view and the audit of a
/// refusal.
/// </summary>
internal sealed class PublishingRecords(GatewayDbContext db, PolicyDecisions decisions, IServiceScopeFactory scopes)
{
    /// <summary>The publish decision of the caller on a dataset (declaring a schema is publishing too).</summary>
    public Decision Decide(Caller caller, string datasetId) => decisions.Decide(new DecisionRequest
    {
        Requester = caller.ToRequester(),
        Action = PolicyAction.Publish,
        Dataset = datasetId,
    });

    /// <summary>Records a refused declaration or upload in its own scope (the request's context may be mid-failure).</summary>
    public async Task RecordRejectionAsync(
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

    /// <summary>The dataset as the API shows it: declaration, schema when declared, versions.</summary>
    public async Task<DatasetView> ViewAsync(Contract contract, DatasetDeclaration declaration, DatasetEntity? entity, CancellationToken cancellationToken)
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

    /// <summary>An event whose actor is the caller, also when there is no HTTP request (the demo seeder).</summary>
    public static AuditEvent Event(AuditService service, string action, string outcome, Caller caller)
    {
        // The caller is the actor, also when there is no HTTP request (the demo seeder).
        var auditEvent = service.Create(action, outcome);
        return auditEvent with { Actor = new AuditActor(caller.Subject, caller.Organisation, caller.Roles, caller.ClientId, auditEvent.Actor.Ip) };
    }

    /// <summary>The decision's reasons as audited.</summary>
    public static List<AuditReason> AuditReasons(Decision? decision) =>
        decision is null ? [] : [.. decision.Reasons.Select(r => new AuditReason(r.Rule, r.ClauseId, r.Subject))];
}
